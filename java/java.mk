# Java SDK targets; included by the root Makefile (ROOT, PY, HARNESS, STAMP come from there).
JAVA_DIR := $(ROOT)/java
MVN := mvn -B -q -f $(JAVA_DIR)/pom.xml
JAVA_JAR := $(JAVA_DIR)/target/mlflowrest.jar

.PHONY: setup-java generate-java test-java demo-java bench-java

# Maven dependencies and plugins into ~/.m2 (the only thing to install); re-run when the pom changes.
$(STAMP)/java: $(JAVA_DIR)/pom.xml
	@mkdir -p $(STAMP)
	$(MVN) dependency:go-offline
	@touch $@
# The self-contained jar the example, the contract driver and the benchmarks run; rebuilt when a source changes.
$(JAVA_JAR): $(STAMP)/java $(shell find $(JAVA_DIR)/src/main $(JAVA_DIR)/src/generated -name '*.java' 2>/dev/null)
	$(MVN) package -DskipTests
setup-java: $(JAVA_JAR)

# The spec's types, limits, error codes and routes as Java, into java/src/generated/java.
generate-java: setup-python
	cd $(ROOT) && $(PY) java/codegen/generate.py

# Unit tests (local stub servers) and integration tests against one fresh harness server;
# the compatibility probes rewrite java/COMPATIBILITY.md.
test-java: setup-python setup-java
	$(HARNESS) mvn -B -f $(JAVA_DIR)/pom.xml verify

# The chapter's example as a self-contained jar, with Python ruled out.
demo-java: setup-java
	$(MVN) package -DskipTests
	MLFLOW_PYTHON_EXECUTABLE=/bin/false java -jar $(JAVA_JAR)

# log-metric per call against the default 4-worker server, beside raw java.net.http.HttpClient.
bench-java: setup-python setup-java
	$(MVN) test-compile dependency:build-classpath -Dmdep.outputFile=$(JAVA_DIR)/target/classpath.txt
	cd $(ROOT) && $(PY) -m tests.harness run --workers 0 -- bash -c \
	  'java -cp $(JAVA_DIR)/target/test-classes:$(JAVA_DIR)/target/classes:$$(cat $(JAVA_DIR)/target/classpath.txt) io.mlflowrest.bench.LogMetricBenchmark'
