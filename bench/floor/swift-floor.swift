// The Swift floor (bench/): curl-floor.c's pull and execve (compiled with -Dmain=floor_main),
// called from a Swift main in a binary linked like seclab-run (static Swift stdlib, libstdc++
// and libgcc linked in, lld with packed relocations, no exported symbols). What it adds to
// the C floor is what the Swift runtime alone costs at every start, before any of our code.
#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("floor_main")
func floorMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32

exit(floorMain(CommandLine.argc, CommandLine.unsafeArgv))
