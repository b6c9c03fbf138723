# Sourced by the bench scripts (run from the repository root): service_stale is true when target/quarkus-app holds
# no service, or one older than a file under src/main or pom.xml. With --skip-build a script once measured a jar
# that an experiment had left behind (bench/generation/README.md, the 11:01 run of 2026-12-07), so a script that
# skips the build still rebuilds when the jar is stale.
service_stale() {
  local jar
  jar=$(ls target/quarkus-app/app/slm-serve-*.jar 2>/dev/null | head -1)
  if [ -z "$jar" ] || [ ! -f target/quarkus-app/quarkus-run.jar ]; then
    return 0
  fi
  [ -n "$(find src/main pom.xml -type f -newer "$jar" 2>/dev/null | head -1)" ]
}
