"""Exploration: Hypothesis strategies, sequences that learn from the answers, the
runner and its workers, replay, minimising and the example database."""
