# Java SDK targets; included by the root Makefile (ROOT, PY, HARNESS, STAMP come from there).
JAVA_DIR := $(ROOT)/java
MVN := mvn -B -q -f $(JAVA_DIR)/pom.xml
# The library (pom.xml) and the drop-in for mlflow-client code (compat/, io.mlflowrest:mlflowrest-compat) in one reactor.
MVN_ALL := mvn -B -q -f $(JAVA_DIR)/all.xml
# The example application's self-contained jar (java/example): the library's own jar
# (target/mlflowrest-<version>.jar) has no Main-Class and no dependencies inside.
JAVA_JAR := $(JAVA_DIR)/example/target/mlflowrest-example.jar
COMPAT_CP := $(JAVA_DIR)/compat/target/classpath.txt
# The mlflowrest command (`sync`) as a runnable jar: io.mlflowrest:mlflowrest-cli (java/cli).
JAVA_CLI_JAR := $(JAVA_DIR)/cli/target/mlflowrest-cli.jar

.PHONY: setup-java generate-java test-java demo-java bench-java compat-table lint-java

# Maven dependencies and plugins into ~/.m2 (the only thing to install); re-run when the pom changes.
$(STAMP)/java: $(JAVA_DIR)/pom.xml $(JAVA_DIR)/compat/pom.xml $(JAVA_DIR)/example/pom.xml $(JAVA_DIR)/cli/pom.xml $(JAVA_DIR)/all.xml
	@mkdir -p $(STAMP)
	$(MVN_ALL) org.apache.maven.plugins:maven-dependency-plugin:3.6.1:go-offline  # 3.x leaves reactor modules out
	@touch $@
# The self-contained jar the example, the contract driver and the benchmarks run; rebuilt when a source changes.
$(JAVA_JAR): $(STAMP)/java $(shell find $(JAVA_DIR)/src/main $(JAVA_DIR)/src/generated $(JAVA_DIR)/example/src -name '*.java' 2>/dev/null)
	$(MVN_ALL) package -DskipTests -pl example -am
# The drop-in's classes and classpath, for the fault suite's existing-code run (tests/faults).
$(COMPAT_CP): $(JAVA_JAR) $(shell find $(JAVA_DIR)/compat/src -name '*.java' 2>/dev/null)
	$(MVN_ALL) test-compile -pl compat -am org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath -Dmdep.outputFile=$(COMPAT_CP)
$(JAVA_CLI_JAR): $(JAVA_JAR) $(JAVA_DIR)/cli/pom.xml
	$(MVN_ALL) package -DskipTests -pl cli -am
setup-java: $(JAVA_JAR) $(COMPAT_CP) $(JAVA_CLI_JAR)

# The spec's types, limits, error codes and routes as Java, into java/src/generated/java.
generate-java: setup-python
	cd $(ROOT) && $(PY) java/codegen/generate.py

# javac -Xlint:all -Werror over the main and test sources of the library, the example and the drop-in
# (generated code too). The poms carry the flags, so every build is linted; this target recompiles
# everything from scratch into target/lint, so no class compiled before a change hides a warning.
lint: lint-java
lint-java: $(STAMP)/java
	rm -rf $(JAVA_DIR)/target/lint $(JAVA_DIR)/compat/target/lint $(JAVA_DIR)/example/target/lint
	$(MVN_ALL) -Dbuild.dir=target/lint test-compile
	rm -rf $(JAVA_DIR)/target/lint $(JAVA_DIR)/compat/target/lint $(JAVA_DIR)/example/target/lint

# Unit tests (local stub servers) and integration tests against one fresh harness server, for the
# library and the drop-in; fails (without rewriting it) when java/COMPATIBILITY.md is stale. Then
# the artifact-store integration tests once per harness backend.
test-java: setup-python setup-java setup-stores
	$(HARNESS) mvn -B -f $(JAVA_DIR)/all.xml verify
	$(MAKE) --no-print-directory -f $(ROOT)/Makefile test-java-stores

# Rewrites java/COMPATIBILITY.md: the drop-in's row for every official method, and the tests that call it.
compat-table: setup-java
	$(MVN_ALL) test -pl compat -am -Dtest=CompatibilityTableTest -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dcompat.table.write=true

# The artifact-store integration tests once more per backend the harness serves (issue 16):
# backend:the scheme its runs' artifact URIs must have. S3 and the Databricks stand-in also move
# one 1 GiB file up and down in a 256 MiB heap and print peak heap and RSS. Surefire's
# `surefire:test` reuses the classes `verify` compiled.
JAVA_STORE_BACKENDS := s3:s3 azure:wasbs path:/ databricks:dbfs
JAVA_LARGE_MB := 1024
.PHONY: test-java-stores
test-java-stores: setup-python setup-java setup-stores
	@set -e; for pair in $(JAVA_STORE_BACKENDS); do b=$${pair%%:*}; scheme=$${pair#*:}; \
	  case $$b in s3|databricks) large=$(JAVA_LARGE_MB);; *) large=;; esac; \
	  echo "== Java artifact stores: $$b"; \
	  cd $(ROOT) && $(PY) -m tests.harness run --artifacts $$b -- env MLFLOWREST_ARTIFACT_SCHEME=$$scheme \
	    $${large:+MLFLOWREST_LARGE_ARTIFACT_MB=$$large} mvn -B -f $(JAVA_DIR)/pom.xml surefire:test@integration \
	    -DargLine=-Xmx256m -Dtest='ArtifactStoresIntegrationTest,LargeArtifactIntegrationTest' -Dsurefire.failIfNoSpecifiedTests=false; \
	done

# The chapter's example as a self-contained jar, with Python ruled out.
demo-java: setup-java
	$(MVN_ALL) package -DskipTests -pl example -am
	MLFLOW_PYTHON_EXECUTABLE=/bin/false java -jar $(JAVA_JAR)

# log-metric per call against the default 4-worker server, beside raw java.net.http.HttpClient.
bench-java: setup-python setup-java
	$(MVN) test-compile org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath -Dmdep.outputFile=$(JAVA_DIR)/target/classpath.txt
	cd $(ROOT) && $(PY) -m tests.harness run --workers 0 -- bash -c \
	  'java -cp $(JAVA_DIR)/target/test-classes:$(JAVA_DIR)/target/classes:$$(cat $(JAVA_DIR)/target/classpath.txt) io.mlflowrest.bench.LogMetricBenchmark'
