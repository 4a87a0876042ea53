/// The families of environment names that seclab-run refuses to set from a vault, each with
/// the reason. docs/seclab-run.md ("Refused names") lists them word for word; a test checks
/// that every name there is refused.
///
/// Why families and not a list of names: whoever can write a vault chooses
/// the names a pipeline gets, and a program run in that pipeline reads far more variables than
/// anyone can enumerate (`GIT_CONFIG_KEY_0=core.fsmonitor` runs a command on `git status`,
/// `PYTHONWARNINGS` + `BROWSER` on `python3`). A family rule (`GIT_*`, `PYTHON*`, `*_proxy`
/// in any case) also covers the variables a tool adds next year. Credentials by convention
/// inside a family (`NODE_AUTH_TOKEN`, `CARGO_REGISTRY_TOKEN`, …) are the exceptions, because
/// delivering credentials is what seclab is for and a tool only sends them where the
/// pipeline's own configuration says.
public struct EnvironmentFamily: Sendable {
    /// A short label for messages and docs, e.g. "git configuration and helpers".
    public let label: String
    /// Exact names (case-sensitive).
    public let names: [String]
    /// Name prefixes (case-sensitive).
    public let prefixes: [String]
    /// Name prefixes matched in any ASCII case (npm and yarn read `npm_config_*` that way).
    public let anyCasePrefixes: [String]
    /// Prefixes that match only when no `_` follows them (Go: `GOFLAGS`, not `GOOGLE_API_KEY`).
    public let prefixesWithoutUnderscore: [String]
    /// Name suffixes (case-sensitive).
    public let suffixes: [String]
    /// Name suffixes matched in any ASCII case (`http_proxy`, `HTTPS_PROXY`, `Https_Proxy`).
    public let anyCaseSuffixes: [String]

    init(_ label: String, names: [String] = [], prefixes: [String] = [], anyCasePrefixes: [String] = [],
         prefixesWithoutUnderscore: [String] = [], suffixes: [String] = [], anyCaseSuffixes: [String] = []) {
        self.label = label
        self.names = names
        self.prefixes = prefixes
        self.anyCasePrefixes = anyCasePrefixes
        self.prefixesWithoutUnderscore = prefixesWithoutUnderscore
        self.suffixes = suffixes
        self.anyCaseSuffixes = anyCaseSuffixes
    }
}

extension EnvironmentPolicy {
    /// Every refused family, in the order docs/seclab-run.md lists them.
    public static let families: [EnvironmentFamily] = [
        // ld.so(8), glibc's tunables, iconv and locale loading, the resolver.
        EnvironmentFamily("the dynamic loader, glibc tunables, locale and resolver files",
                          names: ["GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF", "RES_OPTIONS", "LOCALDOMAIN", "TZDIR"],
                          prefixes: ["LD_", "DYLD_", "MALLOC_", "GLIBC_"]),
        // bash(1) INVOCATION and Shell Variables, dash(1), zsh(1) STARTUP FILES, readline's INPUTRC.
        EnvironmentFamily("shell start-up, prompt and search variables",
                          names: ["PATH", "IFS", "ENV", "BASH_ENV", "SHELLOPTS", "BASHOPTS", "CDPATH", "GLOBIGNORE", "EXECIGNORE",
                                  "PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "PROMPT", "PROMPT2", "PROMPT3", "PROMPT4",
                                  "RPROMPT", "RPROMPT2", "RPS1", "RPS2", "FPATH", "ZDOTDIR", "HISTFILE", "INPUTRC", "BASH_XTRACEFD",
                                  "BASH_COMPAT", "BASH_LOADABLES_PATH", "TERMINFO", "TERMINFO_DIRS", "TERMCAP"],
                          prefixes: ["BASH_FUNC_"]),
        // Where programs find their dotfiles, caches and scratch space.
        EnvironmentFamily("home, XDG and temporary directories, the login shell",
                          names: ["HOME", "SHELL", "TMPDIR", "TMP", "TEMP", "TEMPDIR"], prefixes: ["XDG_"]),
        // git(1) ENVIRONMENT VARIABLES: GIT_CONFIG_COUNT/KEY_n/VALUE_n, GIT_SSH_COMMAND, GIT_ASKPASS,
        // GIT_EXEC_PATH, GIT_EXTERNAL_DIFF, GIT_PAGER, GIT_EDITOR, GIT_PROXY_COMMAND, GIT_TEMPLATE_DIR, …
        // No exceptions: even GIT_AUTHOR_* would forge who a pipeline's commits claim to be from.
        EnvironmentFamily("git configuration and helpers", prefixes: ["GIT_"]),
        // ssh(1) and gpg(1): agent sockets and askpass programs.
        EnvironmentFamily("ssh and gpg agents and askpass programs",
                          names: ["SSH_AUTH_SOCK", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "SUDO_ASKPASS", "GNUPGHOME", "GPG_AGENT_INFO"]),
        // python(1) ENVIRONMENT (PYTHONSTARTUP, PYTHONPATH, PYTHONWARNINGS, PYTHON_HISTORY, …), pip's
        // PIP_<OPTION> configuration (PIP_INDEX_URL), uv's UV_* settings.
        EnvironmentFamily("Python, pip and uv", names: ["VIRTUAL_ENV"], prefixes: ["PYTHON", "PIP_", "UV_"]),
        // node(1) NODE_OPTIONS/NODE_PATH/NODE_EXTRA_CA_CERTS/NODE_REPL_EXTERNAL_MODULE; npm-config(7):
        // any npm_config_* in any case; yarn's YARN_*/yarn_*; corepack's download settings.
        EnvironmentFamily("Node.js, npm, yarn, corepack and bun",
                          prefixes: ["NODE_", "COREPACK_", "BUN_CONFIG_"], anyCasePrefixes: ["npm_config_", "yarn_"]),
        // ruby(1) RUBYOPT/RUBYLIB, RubyGems GEM_HOME/GEM_PATH, bundle-config(1) BUNDLE_* (BUNDLE_GEMFILE).
        EnvironmentFamily("Ruby, RubyGems and Bundler", prefixes: ["RUBY", "GEM_", "BUNDLE_", "BUNDLER_"]),
        // perlrun(1): PERL5OPT, PERL5LIB, PERLLIB, PERL5DB, PERLIO, …
        EnvironmentFamily("Perl", prefixes: ["PERL"]),
        // The JDK launcher (JDK_JAVA_OPTIONS, JAVA_TOOL_OPTIONS, _JAVA_OPTIONS, CLASSPATH), mvn and
        // the Maven wrapper, gradle, ant, sbt.
        EnvironmentFamily("the JVM, Maven, Gradle, Ant and sbt",
                          names: ["CLASSPATH", "MAVEN_OPTS", "MAVEN_ARGS", "MAVEN_CONFIG", "MAVEN_HOME", "M2_HOME", "MAVEN_SKIP_RC",
                                  "MAVEN_DEBUG_OPTS", "MVNW_REPOURL", "GRADLE_OPTS", "GRADLE_USER_HOME", "GRADLE_HOME",
                                  "GRADLE_LIBS_REPO_OVERRIDE", "ANT_OPTS", "ANT_ARGS", "ANT_HOME", "SBT_OPTS", "JVM_OPTS"],
                          prefixes: ["JAVA_", "_JAVA_", "JDK_"]),
        // .NET runtime knobs (DOTNET_STARTUP_HOOKS, DOTNET_ROOT, COMPlus_*, CORECLR_PROFILER_PATH),
        // ASP.NET hosting start-up assemblies, NuGet paths and plugins.
        EnvironmentFamily(".NET, ASP.NET and NuGet",
                          names: ["CORE_LIBRARIES", "ASPNETCORE_HOSTINGSTARTUPASSEMBLIES", "NUGET_PACKAGES", "NUGET_PLUGIN_PATHS",
                                  "NUGET_HTTP_CACHE_PATH", "NUGET_FALLBACK_PACKAGES", "NUGET_SCRATCH"],
                          prefixes: ["DOTNET_", "COMPlus_", "CORECLR_"]),
        // `go help environment`: GOFLAGS, GOPROXY, GOPATH, GOTOOLCHAIN, GOAUTH, GOCACHEPROG, …
        // (none has an underscore) and cgo's CGO_CFLAGS/CGO_LDFLAGS.
        EnvironmentFamily("Go", names: ["GCCGO"], prefixes: ["CGO_"], prefixesWithoutUnderscore: ["GO"]),
        // php(1) PHPRC and PHP_INI_SCAN_DIR; Composer's paths.
        EnvironmentFamily("PHP and Composer",
                          names: ["PHPRC", "PHP_INI_SCAN_DIR", "COMPOSER", "COMPOSER_HOME", "COMPOSER_CACHE_DIR", "COMPOSER_VENDOR_DIR",
                                  "COMPOSER_BIN_DIR", "COMPOSER_CAFILE"]),
        // cargo's CARGO_* configuration (CARGO_TARGET_<triple>_RUNNER, CARGO_BUILD_RUSTC_WRAPPER,
        // CARGO_HOME), RUSTC/RUSTC_WRAPPER, RUSTDOC*, RUSTFLAGS, rustup's RUSTUP_*.
        EnvironmentFamily("Rust, cargo and rustup", names: ["RUSTFLAGS"], prefixes: ["CARGO_", "RUSTC", "RUSTDOC", "RUSTUP_"]),
        // Other interpreters that load code named by a variable.
        EnvironmentFamily("Lua, R, Julia, Erlang, Tcl, Guile and Emacs",
                          names: ["TCLLIBPATH", "R_PROFILE", "R_PROFILE_USER", "R_ENVIRON", "R_ENVIRON_USER", "R_LIBS", "R_LIBS_USER",
                                  "R_LIBS_SITE", "GUILE_LOAD_PATH", "EMACSLOADPATH"],
                          prefixes: ["LUA_", "JULIA_", "ERL_"]),
        // make(1) MAKEFLAGS/MAKEFILES, the compiler and linker variables of make's implicit rules,
        // gcc's search paths, pkg-config, CMake's CMAKE_* (CMAKE_TOOLCHAIN_FILE).
        EnvironmentFamily("compilers, make, pkg-config and CMake",
                          names: ["CC", "CXX", "CPP", "AR", "AS", "LD", "NM", "RANLIB", "STRIP", "OBJCOPY", "OBJDUMP", "CFLAGS",
                                  "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "LDLIBS", "FFLAGS", "MAKEFLAGS", "GNUMAKEFLAGS", "MFLAGS",
                                  "MAKEFILES", "GCC_EXEC_PREFIX", "COMPILER_PATH", "LIBRARY_PATH", "CPATH", "C_INCLUDE_PATH",
                                  "CPLUS_INCLUDE_PATH", "PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR"],
                          prefixes: ["CMAKE_"]),
        // Whatever tool reads FOO_OPTS or FOO_ARGS adds them to its command line.
        EnvironmentFamily("tool option and argument variables", suffixes: ["_OPTS", "_OPTIONS", "_FLAGS", "_ARGS"]),
        // curl(1), wget, Python's urllib (any *_proxy, in any case), Go's net/http, git, npm.
        EnvironmentFamily("proxies", names: ["SOCKS_SERVER", "SOCKS5_SERVER"], anyCaseSuffixes: ["_proxy"]),
        // Trust stores, key logs and TLS library configuration (OPENSSL_CONF loads engines).
        EnvironmentFamily("TLS trust, key logs and TLS library configuration",
                          names: ["SSL_CERT_FILE", "SSL_CERT_DIR", "SSLKEYLOGFILE", "CURL_CA_BUNDLE", "CURL_HOME", "CURL_SSL_BACKEND",
                                  "REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "NIX_SSL_CERT_FILE",
                                  "HTTPLIB2_CA_CERTS", "WEBSOCKET_CLIENT_CA_BUNDLE", "DENO_CERT", "GNUTLS_SYSTEM_PRIORITY_FILE",
                                  "WGETRC", "NETRC"],
                          prefixes: ["OPENSSL_"]),
        // Programs that other programs start to show or edit text, or to open a URL.
        EnvironmentFamily("pagers, editors and browsers",
                          names: ["PAGER", "MANPAGER", "MANOPT", "MORE", "SYSTEMD_PAGER", "SYSTEMD_EDITOR", "EDITOR", "VISUAL",
                                  "SUDO_EDITOR", "FCEDIT", "BROWSER", "SVN_EDITOR", "HGEDITOR", "HGRCPATH", "GH_PAGER", "GH_EDITOR",
                                  "GH_BROWSER", "GH_CONFIG_DIR", "GH_HOST", "KUBE_EDITOR"],
                          prefixes: ["LESS"]),
        // docker(1) DOCKER_HOST/DOCKER_CONFIG/DOCKER_CONTEXT, buildx, compose, podman/buildah and
        // containers.conf, kubectl, helm.
        EnvironmentFamily("container and cluster clients",
                          names: ["KUBECONFIG", "CONTAINER_HOST", "CONTAINER_CONNECTION", "CONTAINER_SSHKEY", "REGISTRY_AUTH_FILE"],
                          prefixes: ["DOCKER_", "BUILDKIT_", "BUILDX_", "COMPOSE_", "CONTAINERS_", "BUILDAH_", "PODMAN_", "KUBECTL_", "HELM_"]),
        // Cloud and infrastructure CLIs: where their configuration lives and which endpoint they
        // call. Their credentials (AWS_ACCESS_KEY_ID, …) are not refused: they are what a
        // secrets manager is for.
        EnvironmentFamily("cloud and infrastructure CLI configuration",
                          names: ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_DATA_PATH",
                                  "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES", "AZURE_CONFIG_DIR", "TF_CLI_CONFIG_FILE", "TERRAFORM_CONFIG",
                                  "TF_PLUGIN_CACHE_DIR"],
                          prefixes: ["AWS_ENDPOINT_URL", "CLOUDSDK_", "TF_CLI_ARGS", "ANSIBLE_"]),
        // The CI runner's own files and endpoints: GITHUB_ENV/GITHUB_PATH take commands for later
        // steps, ACTIONS_ID_TOKEN_REQUEST_URL receives the job's OIDC request token.
        EnvironmentFamily("CI runner files and endpoints",
                          names: ["CI", "GITHUB_ACTIONS", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY",
                                  "GITHUB_WORKSPACE", "GITHUB_EVENT_PATH", "GITHUB_API_URL", "GITHUB_SERVER_URL", "GITHUB_GRAPHQL_URL",
                                  "GITLAB_CI"],
                          prefixes: ["ACTIONS_", "RUNNER_", "CI_"]),
        // seclab-run's own configuration.
        EnvironmentFamily("seclab's own configuration", prefixes: ["SECLAB_"]),
    ]

    /// Credentials by convention whose name falls inside a family prefix: accepted, because a
    /// tool sends them only to the registry its own configuration names.
    public static let conventionalCredentials: Set<String> = [
        "NODE_AUTH_TOKEN",       // actions/setup-node's .npmrc: _authToken=${NODE_AUTH_TOKEN}
        "YARN_NPM_AUTH_TOKEN",   // yarn berry's npmAuthToken
        "GEM_HOST_API_KEY",      // gem push
        "CARGO_REGISTRY_TOKEN",  // cargo publish to crates.io
        "DOCKER_USERNAME", "DOCKER_PASSWORD",  // read by docker login scripts, never by docker itself
    ]
}
