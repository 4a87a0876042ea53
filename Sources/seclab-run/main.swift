import SeclabRun
