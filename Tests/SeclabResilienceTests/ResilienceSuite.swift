// Issue 7 §4–7: brute force, faults with nothing lost, load and process hygiene live in this target.
