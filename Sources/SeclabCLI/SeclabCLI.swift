// The owner CLI library (issue 4): one file per subcommand.
