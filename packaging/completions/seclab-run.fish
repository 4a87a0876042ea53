# fish completion for seclab-run (hand-written: seclab-run parses its own options, without
# swift-argument-parser, to stay lean). Options before `--`; after it, the command's own.
function __seclab_run_before_command
    not contains -- -- (commandline -opc)
end
set -l c complete -c seclab-run -n __seclab_run_before_command
$c -l server -r -d 'server URL'
$c -l credential-file -r -F -d 'read a machine credential from a file'
$c -l credential-env -x -a '(set -xn)' -d 'read a machine credential from a variable'
$c -l override -d 'a name in two vaults: the later credential wins'
$c -l env -x -d 'deliver secret NAME as NEW (NEW=NAME)'
$c -l prefix -x -d 'prepend to every other environment name'
$c -l expand -d 'resolve ${NAME} references between values'
$c -l template -r -F -d 'render SRC=VAR into an in-memory file'
$c -l json -d 'with --dry-run: print JSON'
$c -l only -x -d 'fetch only these names'
$c -l only-file -r -F -d 'fetch only the names listed in a file'
$c -l require -x -d 'fail unless these names are present'
$c -l file -x -d 'deliver NAME[=VAR] as an in-memory file'
$c -l files-dir -x -a '(__fish_complete_directories)' -d 'write file secrets under a tmpfs directory'
$c -l keep-existing -d 'inherited variables win over secrets'
$c -l allow-name -x -d 'allow a name of a refused family'
$c -l mask -d 'mask secret values in the output'
$c -l mask-min-length -x -d 'do not mask shorter values'
$c -l no-github-mask -d 'do not write ::add-mask:: lines'
$c -l dry-run -d 'print what would be injected, run nothing'
$c -l cacert -r -F -d 'trust this CA bundle'
$c -l allow-insecure-http -d 'allow plain http to a non-loopback server'
$c -l timeout -x -d 'total seconds for the pull'
$c -l connect-timeout -x -d 'seconds to connect'
$c -s h -l help -d 'show help'
$c -l version -d 'print the version'
complete -c seclab-run -n 'contains -- -- (commandline -opc)' -x -a '(__fish_complete_subcommand --fcs-skip=2)'
