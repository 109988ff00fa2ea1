"""What the dashboard knows, derived from the events: the deflection log, daily counts,
gaps, prompt exposures, every figure, spikes, alerts, the weekly report and the job that
keeps them current."""
