# Reference numbers for tests/test_ordinal.py: cumulative link (mixed) models on wine.csv
# (Randall 1989, as shipped with the R package ordinal). Run: Rscript ordinal_wine.R > ordinal_wine.out
suppressPackageStartupMessages(library(ordinal))
wine <- read.csv("wine.csv")
wine$rating <- factor(wine$rating, ordered = TRUE)
wine$judge <- factor(wine$judge)
options(digits = 10)
show <- function(label, fit) {
  cat("##", label, "\n")
  cat("logLik", format(as.numeric(logLik(fit)), digits = 12), "\n")
  s <- coef(summary(fit))
  print(s[, 1:2])
  if (!is.null(fit$ST)) cat("judge_sd", format(as.numeric(fit$ST[[1]]), digits = 10), "\n")
}
show("clmm Laplace", clmm(rating ~ temp + contact + (1 | judge), data = wine))
show("clmm AGQ 10", clmm(rating ~ temp + contact + (1 | judge), data = wine, nAGQ = 10))
show("clm", clm(rating ~ temp + contact, data = wine))
