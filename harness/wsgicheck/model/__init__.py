"""Values: the HTTP grammar, trace events, requests, responses, a run's options,
the evidence beyond the trace, places in the user's source.

Everything above imports these; they import nothing of wsgicheck's but each other."""
