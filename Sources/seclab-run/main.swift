import SeclabRun

SeclabRunMain.main()
