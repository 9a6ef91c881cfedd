# The Spark many-models jobs (included by the root Makefile): PySpark comes with the Python
# setup (requirements/dev.txt); the JVM job is its own Maven module, run against the SDK's jar.
.PHONY: setup-spark-java spark-demo
SPARK_JAVA := $(ROOT)/examples/spark-java

$(STAMP)/spark-java: $(JAVA_JAR) $(SPARK_JAVA)/pom.xml $(wildcard $(SPARK_JAVA)/src/main/java/example/*.java)
	@mkdir -p $(STAMP)
	mvn -B -q -f $(SPARK_JAVA)/pom.xml dependency:build-classpath -Dmdep.outputFile=$(SPARK_JAVA)/target/classpath.txt compile
	@touch $@
setup-spark-java: $(STAMP)/spark-java

# Both jobs at the issue's size (200 groups, 20 failing once, Spark's 200 shuffle partitions),
# each with mlflowrest and with the official client, against one server.
spark-demo: setup-python setup-spark-java
	$(HARNESS) bash -c 'for c in mlflowrest official; do \
	  $(PY) examples/spark/many_models.py --groups 200 --fail 20 --client $$c 2>/dev/null; \
	  $(SPARK_JAVA)/run.sh 200 20 200 $$c 2>/dev/null; done'
