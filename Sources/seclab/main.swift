// `seclab`, the owner's CLI. Everything lives in SeclabCLI; see docs/cli.md.
import SeclabCLI

Seclab.runMain()
