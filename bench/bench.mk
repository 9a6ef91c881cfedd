# Benchmarks (included by the root Makefile). bench-quick is a smoke check inside make test:
# no timing assertions, it only proves every workload still runs.
.PHONY: bench bench-quick run-bench-quick bench-writers bench-spark

# make bench BENCH_ARGS=--issue-sizes runs the issue's sizes (1M-point log_batch: about an hour).
BENCH_ARGS ?=

bench: $(addprefix setup-,$(LANGS)) setup-stores $(if $(filter java,$(LANGS)),bench-java-cds)
	cd $(ROOT) && $(PY) bench/run.py $(BENCH_ARGS)
	$(MAKE) --no-print-directory bench-writers
	$(MAKE) --no-print-directory bench-spark

# Many writer processes on one server (bench/many_writers.py), Python, Java and R writers in one
# run: bench/results_writers.md, and its section of bench/results.md.
bench-writers: $(addprefix setup-,$(LANGS)) setup-postgres
	cd $(ROOT) && $(PY) bench/many_writers.py

# The Spark many-models jobs at the issue's size (bench/spark.py): PySpark and JVM, mlflowrest
# beside the official clients and the unlogged job, under injected task failures.
bench-spark: setup-python setup-spark-java setup-postgres
	cd $(ROOT) && $(PY) bench/spark.py

BENCH_QUICK_SETUP := $(addprefix setup-,$(LANGS)) setup-stores
BENCH_QUICK = cd $(ROOT) && $(PY) bench/run.py --quick --out $(ROOT)/.work && \
  $(PY) bench/many_writers.py --quick --out $(ROOT)/.work
bench-quick: $(BENCH_QUICK_SETUP)
	$(BENCH_QUICK)
# Without its set-up: make test runs it beside the contract suite (Makefile, test-side-by-side),
# where its figures are only a smoke check's.
run-bench-quick:
	$(BENCH_QUICK)

# An AppCDS archive of the classes the Java SDK's first metric loads, made by one training run of
# bench/java/Bench.java against a harness server; bench/run.py then measures start-up with it too.
# CDS archives classes from jars only, hence bench.jar. Users make theirs the same way with their
# own main class (java/README.md, "Start-up").
JAVA_CDS_DIR := $(ROOT)/.work/bench-java-cds
.PHONY: bench-java-cds
bench-java-cds: setup-python setup-java
	rm -rf $(JAVA_CDS_DIR) && mkdir -p $(JAVA_CDS_DIR)/classes
	javac -cp $(JAVA_JAR):$(JAVA_DIR)/compat/target/classes -d $(JAVA_CDS_DIR)/classes $(ROOT)/bench/java/Bench.java
	jar cf $(JAVA_CDS_DIR)/bench.jar -C $(JAVA_CDS_DIR)/classes .
	$(HARNESS) bash -c 'java -XX:ArchiveClassesAtExit=$(JAVA_CDS_DIR)/mlflowrest.jsa -Xmx512m \
	  -cp $(JAVA_JAR):$(JAVA_CDS_DIR)/bench.jar Bench first_metric sdk 1 "$$MLFLOW_TRACKING_URI"'
