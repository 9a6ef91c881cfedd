#!/usr/bin/env bash
# Runs the JVM many-models job: examples/spark-java/run.sh GROUPS FAILING PARTITIONS mlflowrest|official
# Needs `make setup-spark-java` (the SDK jar, Spark's classpath and the compiled job).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# Spark on Java 17 reads JDK internals; spark-submit passes the same flags.
opens=()
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens+=("--add-opens=java.base/$p=ALL-UNNAMED")
done
# Spark's own Jackson comes first; the SDK jar's copy only fills what Spark lacks.
exec java "${opens[@]}" -Djdk.reflect.useDirectMethodHandle=false -Xmx1g \
  -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" example.ManyModels "$@"
