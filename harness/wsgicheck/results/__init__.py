"""What a run found, as values: reports, baselines and the probe read them without
loading the engine (no Hypothesis, h11 or transport)."""
