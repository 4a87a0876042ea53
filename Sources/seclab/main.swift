// `seclab`, the owner's CLI (issue 4). Everything lives in SeclabCLI; see docs/cli.md.
import SeclabCLI

Seclab.runMain()
