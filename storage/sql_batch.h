#pragma once
// Batched statements: many rows per round trip with prepared statements
// only. A statement's text depends on its row count, and each text is
// prepared once per connection, so batches run in a few fixed sizes: a chunk
// of n rows runs as the smallest size class that holds it, the missing rows
// repeating its first row (harmless in an IN list, and in an idempotent
// upsert).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/str_cat.h"
#include "storage/mysql_connection.h"

namespace im::storage {

inline constexpr std::array<std::size_t, 4> kBatchSizes = {1, 8, 64, 200};

// `item` `count` times, comma-separated.
inline std::string Repeat(std::string_view item, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += common::StrCat(i == 0 ? "" : ", ", item);
  return out;
}

// A derived table of `rows` rows of parameters, its columns named `columns`:
// ParamRows({"c", "u"}, 3) is "SELECT ? AS c, ? AS u UNION ALL SELECT ?, ?
// UNION ALL SELECT ?, ?". Joined by primary key, it makes one lookup per row
// (a row IN list may scan a whole prefix instead).
inline std::string ParamRows(std::initializer_list<std::string_view> columns, std::size_t rows) {
  std::string first = "SELECT ";
  std::string more = " UNION ALL SELECT ";
  bool head = true;
  for (std::string_view c : columns) {
    first += common::StrCat(head ? "" : ", ", "? AS ", c);
    more += head ? "?" : ", ?";
    head = false;
  }
  for (std::size_t i = 1; i < rows; ++i) first += more;
  return first;
}

// Calls `each(begin, end)` for consecutive slices of at most `max` items.
template <typename Each>
absl::Status ForEachBatch(std::size_t size, std::size_t max, Each each) {
  for (std::size_t begin = 0; begin < size; begin += max) {
    if (auto s = each(begin, std::min(size, begin + max)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Calls `each(begin, end, rows)` for consecutive slices of the largest class,
// `rows` being the size class the slice runs as (rows >= end - begin).
template <typename Each>
absl::Status ForEachSizedBatch(std::size_t size, Each each) {
  return ForEachBatch(size, kBatchSizes.back(), [&](std::size_t begin, std::size_t end) {
    const std::size_t rows = *std::find_if(kBatchSizes.begin(), kBatchSizes.end(),
                                           [&](std::size_t c) { return c >= end - begin; });
    return each(begin, end, rows);
  });
}

// Runs `head` "(?, ?, ...)" `tail` with `ids` in the IN list, in sized
// batches, and passes every row to `on_row`.
template <typename OnRow>
absl::Status ForEachRowWithIdIn(MysqlConnection& conn, std::string_view head,
                                const std::vector<std::uint64_t>& ids, std::string_view tail,
                                OnRow on_row) {
  return ForEachSizedBatch(ids.size(), [&](std::size_t begin, std::size_t end, std::size_t rows) {
    std::vector<SqlParam> params;
    for (std::size_t i = 0; i < rows; ++i)
      params.emplace_back(ids[begin + i < end ? begin + i : begin]);
    auto found = conn.Execute(common::StrCat(head, "(", Repeat("?", rows), ")", tail), params);
    if (!found.ok()) return found.status();
    for (const SqlRow& row : found->rows) on_row(row);
    return absl::OkStatus();
  });
}

// Calls `each(begin, end)` for consecutive slices whose sizes are powers of
// two (largest first, at most 128), for statements that cannot repeat a row
// (an INSERT of unique rows): 13 rows run as 8, 4 and 1.
template <typename Each>
absl::Status ForEachExactBatch(std::size_t size, Each each) {
  std::size_t begin = 0;
  while (begin < size) {
    std::size_t rows = 128;
    while (rows > size - begin) rows /= 2;
    if (auto s = each(begin, begin + rows); !s.ok()) return s;
    begin += rows;
  }
  return absl::OkStatus();
}

}  // namespace im::storage
