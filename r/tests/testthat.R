library(testthat)
library(mlflowrest)

test_check("mlflowrest")
