# Reference numbers for the injury and reliability models (soleus_analysis.outcomes).
# Run in tests/data/reference:  Rscript r/injury_reference.R > r/injury_reference.out
# R 4.2 with survival, MASS, sandwich, psych (Debian packages). The tests read the .out file's
# numbers (copied into tests/test_outcomes_*.py) and never need R.
suppressMessages({library(survival); library(MASS); library(sandwich); library(psych)})
options(digits = 10, width = 200)

cat("== export cgd (survival package; Fleming & Harrington 1991)\n")
g <- data.frame(id = cgd$id, tstart = cgd$tstart, tstop = cgd$tstop, status = cgd$status,
                treat = as.integer(cgd$treat == "rIFN-g"), sex = as.integer(cgd$sex == "female"),
                age = cgd$age, inherit = as.integer(cgd$inherit == "autosomal"),
                steroids = cgd$steroids, propylac = cgd$propylac, enum = cgd$enum)
write.csv(g, "cgd.csv", row.names = FALSE)

cat("== stanford heart coxph efron\n")
h <- read.csv("stanford_heart.csv")
f <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = h, ties = "efron")
print(summary(f)$coefficients); cat("loglik", f$loglik, "\n")
cat("== stanford heart coxph breslow\n")
fb <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = h, ties = "breslow")
print(summary(fb)$coefficients); cat("loglik", fb$loglik, "\n")
cat("== stanford heart robust cluster(id) efron\n")
fr <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = h, cluster = id)
print(summary(fr)$coefficients)
cat("== stanford heart cox.zph km\n"); print(cox.zph(f)$table)
cat("== stanford heart cox.zph identity\n"); print(cox.zph(f, transform = "identity")$table)
cat("== stanford heart strata(surgery)\n")
fs <- coxph(Surv(start, stop, event) ~ age + year + transplant + strata(surgery), data = h)
print(summary(fs)$coefficients)

cat("== cgd Andersen-Gill efron cluster(id)\n")
fg <- coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + steroids + propylac,
            data = g, cluster = id)
print(summary(fg)$coefficients)
cat("== cgd cox.zph km\n"); print(cox.zph(fg)$table)

cat("== recurrent injuries Andersen-Gill efron cluster(athlete)\n")
r <- read.csv("recurrent_injuries.csv")
fa <- coxph(Surv(start, stop, event) ~ soleus_sets + acute_load + chronic_load + sex, data = r,
            cluster = athlete)
print(summary(fa)$coefficients); cat("loglik", fa$loglik, "\n")
cat("== recurrent injuries breslow cluster(athlete)\n")
fab <- coxph(Surv(start, stop, event) ~ soleus_sets + acute_load + chronic_load + sex, data = r,
             cluster = athlete, ties = "breslow")
print(summary(fab)$coefficients)
cat("== recurrent injuries cox.zph km\n"); print(cox.zph(fa)$table)

cat("== counts poisson glm offset(log(exposure_h))\n")
d <- read.csv("injury_counts.csv")
p <- glm(injuries ~ soleus_sets + run_km + offset(log(exposure_h)), family = poisson, data = d)
print(summary(p)$coefficients)
cat("== counts poisson vcovCL(cluster = ~athlete) (default type HC1, cadjust)\n")
print(sqrt(diag(vcovCL(p, cluster = ~athlete))))
cat("== counts poisson vcovCL HC0 (cadjust only)\n")
print(sqrt(diag(vcovCL(p, cluster = ~athlete, type = "HC0"))))
cat("== counts glm.nb offset\n")
nb <- glm.nb(injuries ~ soleus_sets + run_km + offset(log(exposure_h)), data = d)
print(summary(nb)$coefficients); cat("theta", nb$theta, "SE", nb$SE.theta, "twologlik", nb$twologlik, "\n")
cat("== days lost glm.nb offset\n")
nbd <- glm.nb(days_lost ~ soleus_sets + run_km + offset(log(exposure_h)), data = d)
print(summary(nbd)$coefficients); cat("theta", nbd$theta, "SE", nbd$SE.theta, "\n")

cat("== survfit aml by x, log CI (default)\n")
km <- survfit(Surv(time, status) ~ x, data = aml)
print(summary(km)$table[, c("records", "events", "median", "0.95LCL", "0.95UCL")])
s <- summary(km)
print(data.frame(strata = s$strata, time = s$time, n.risk = s$n.risk, n.event = s$n.event,
                 surv = s$surv, std.err = s$std.err, lower = s$lower, upper = s$upper))
cat("== survfit aml by x, log-log CI\n")
kl <- survfit(Surv(time, status) ~ x, data = aml, conf.type = "log-log")
print(summary(kl)$table[, c("median", "0.95LCL", "0.95UCL")])
print(data.frame(time = summary(kl)$time, lower = summary(kl)$lower, upper = summary(kl)$upper))
write.csv(data.frame(time = aml$time, status = aml$status, x = as.character(aml$x)), "aml.csv",
          row.names = FALSE)
cat("== survfit stanford heart counting process ~ surgery (delayed entry), log CI\n")
kh <- survfit(Surv(start, stop, event) ~ surgery, data = h)
print(summary(kh)$table[, c("records", "events", "median", "0.95LCL", "0.95UCL")])
sh <- summary(kh, times = c(10, 50, 100, 300, 1000))
print(data.frame(strata = sh$strata, time = sh$time, n.risk = sh$n.risk, surv = sh$surv,
                 std.err = sh$std.err, lower = sh$lower, upper = sh$upper))
cat("== survfit recurrent injuries first interval per athlete, delayed entry ~1\n")
kr <- survfit(Surv(start, stop, event) ~ 1, data = r)
print(summary(kr)$table[c("records", "events", "median", "0.95LCL", "0.95UCL")])
sr <- summary(kr, times = c(20, 60, 100, 150))
print(data.frame(time = sr$time, n.risk = sr$n.risk, surv = sr$surv, std.err = sr$std.err,
                 lower = sr$lower, upper = sr$upper))

cat("== psych ICC Shrout-Fleiss\n")
icc <- read.csv("icc_shrout_fleiss.csv")
w <- reshape(icc, idvar = "target", timevar = "judge", direction = "wide")[, -1]
print(ICC(w)$results[, c("type", "ICC", "F", "df1", "df2", "p", "lower bound", "upper bound")])
cat("== psych ICC Shrout-Fleiss, lmer = FALSE (mean squares from the ANOVA, not REML)\n")
print(ICC(w, lmer = FALSE)$results[, c("type", "ICC", "F", "df1", "df2", "p", "lower bound", "upper bound")])
