# Reference numbers for the package's small-sample inference (run in tests/data/reference/):
#   Rscript r/inference.R > inference_R.txt
# R 4.2, lme4, lmerTest, clubSandwich (see inference_R.txt for the versions used).
suppressMessages({library(lme4); library(lmerTest); library(clubSandwich)})
options(digits = 10)
cat("versions: lme4", as.character(packageVersion("lme4")), "lmerTest", as.character(packageVersion("lmerTest")),
    "clubSandwich", as.character(packageVersion("clubSandwich")), "\n")
out <- function(tag, est, se, df) cat(sprintf("%s est %.8f se %.8f df %.6f\n", tag, est, se, df))

s <- read.csv("sleepstudy.csv")
m <- lmer(Reaction ~ Days + (Days | Subject), data = s)
sm <- coef(summary(m))
for (k in rownames(sm)) out(paste0("sleep_lmer_satt ", k), sm[k, 1], sm[k, 2], sm[k, 3])
ct <- coef_test(m, vcov = "CR2", test = "Satterthwaite")
for (k in seq_len(nrow(ct))) out(paste0("sleep_lmer_cr2 ", ct$Coef[k]), ct$beta[k], ct$SE[k], ct$df_Satt[k])
fe <- lm(Reaction ~ Days + factor(Subject), data = s)
ct <- coef_test(fe, vcov = "CR2", cluster = s$Subject, test = "Satterthwaite", coefs = "Days")
out("sleep_fe_cr2 Days", ct$beta, ct$SE, ct$df_Satt)

d <- read.csv("staggered_panel.csv")
d$week_f <- factor(d$week_start)
d$sets_b <- ave(d$soleus_sets, d$athlete_id); d$sets_w <- d$soleus_sets - d$sets_b
d$km_b <- ave(d$run_km, d$athlete_id); d$km_w <- d$run_km - d$km_b
fe <- lm(pace_s_per_km ~ soleus_sets + run_km + factor(athlete_id) + week_f, data = d)
ct <- coef_test(fe, vcov = "CR2", cluster = d$athlete_id, test = "Satterthwaite", coefs = c("soleus_sets", "run_km"))
for (k in seq_len(nrow(ct))) out(paste0("stag_fe_cr2 ", ct$Coef[k]), ct$beta[k], ct$SE[k], ct$df_Satt[k])
mm <- lmer(pace_s_per_km ~ sets_w + sets_b + km_w + km_b + week_f + (1 | athlete_id), data = d, REML = TRUE)
sm <- coef(summary(mm))
for (k in c("sets_w", "sets_b", "km_w", "km_b")) out(paste0("stag_ri_satt ", k), sm[k, 1], sm[k, 2], sm[k, 3])
ct <- coef_test(mm, vcov = "CR2", test = "Satterthwaite", coefs = c("sets_w", "sets_b", "km_w", "km_b"))
for (k in seq_len(nrow(ct))) out(paste0("stag_ri_cr2 ", ct$Coef[k]), ct$beta[k], ct$SE[k], ct$df_Satt[k])
ms <- lmer(pace_s_per_km ~ sets_w + sets_b + km_w + km_b + week_f + (1 + sets_w | athlete_id), data = d, REML = TRUE)
sm <- coef(summary(ms))
for (k in c("sets_w", "sets_b", "km_w", "km_b")) out(paste0("stag_rs_satt ", k), sm[k, 1], sm[k, 2], sm[k, 3])
ct <- coef_test(ms, vcov = "CR2", test = "Satterthwaite", coefs = c("sets_w", "sets_b", "km_w", "km_b"))
for (k in seq_len(nrow(ct))) out(paste0("stag_rs_cr2 ", ct$Coef[k]), ct$beta[k], ct$SE[k], ct$df_Satt[k])
print(VarCorr(ms))

p <- read.csv("pmdata_next_morning.csv")
p$sb <- ave(p$strength_yesterday, p$athlete_id); p$sw <- p$strength_yesterday - p$sb
p$kb <- ave(p$run_km_yesterday, p$athlete_id); p$kw <- p$run_km_yesterday - p$kb
for (y in c("fatigue", "soreness")) {
  p$y <- p[[y]]
  m <- lmer(y ~ sw + sb + kw + kb + (1 + sw | athlete_id), data = p, REML = TRUE)
  sm <- coef(summary(m))
  for (k in c("sw", "sb", "kw", "kb")) out(paste0("pm_", y, "_satt ", k), sm[k, 1], sm[k, 2], sm[k, 3])
}

# Kenward-Roger (pbkrtest through lmerTest)
cat("versions: pbkrtest", as.character(packageVersion("pbkrtest")), "\n")
sm <- coef(summary(m <- lmer(Reaction ~ Days + (Days | Subject), data = s), ddf = "Kenward-Roger"))
for (k in rownames(sm)) out(paste0("sleep_lmer_kr ", k), sm[k, 1], sm[k, 2], sm[k, 3])
sm <- coef(summary(mm, ddf = "Kenward-Roger"))
for (k in c("sets_w", "sets_b", "km_w", "km_b")) out(paste0("stag_ri_kr ", k), sm[k, 1], sm[k, 2], sm[k, 3])
sm <- coef(summary(ms, ddf = "Kenward-Roger"))
for (k in c("sets_w", "sets_b", "km_w", "km_b")) out(paste0("stag_rs_kr ", k), sm[k, 1], sm[k, 2], sm[k, 3])
