import SeclabCLI
