# Build-time step: writes OUTPUT, a C++ file holding every migrations/NNN_*.sql
# of the source tree as kMigrations, ordered by number. Run by add_custom_command.
file(GLOB files "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
set(body "")
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  string(REGEX MATCH "^[0-9]+" version ${name})
  # "008" as a C++ literal is octal (and invalid); "010" would be 8.
  string(REGEX REPLACE "^0+([0-9])" "\\1" version "${version}")
  file(READ ${f} sql)
  string(APPEND body "  {${version}, \"${name}\", R\"im_sql(${sql})im_sql\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp
"// Generated from storage/migrations/*.sql at build time. Do not edit.\n"
"#include \"storage/migrations.h\"\n\n"
"namespace im::storage {\n\n"
"const std::vector<Migration>& AllMigrations() {\n"
"  static const std::vector<Migration> kMigrations = {\n${body}  };\n"
"  return kMigrations;\n}\n\n}  // namespace im::storage\n")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
