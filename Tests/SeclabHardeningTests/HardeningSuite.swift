// Issue 7 §1–2: the malicious-server suite and the zero-knowledge scan live in this target.
