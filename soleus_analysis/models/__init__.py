"""Models that turn the athlete-week panel (or any long table) into estimates with CIs."""
