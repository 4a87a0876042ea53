// seclab-run library (issue 5).
