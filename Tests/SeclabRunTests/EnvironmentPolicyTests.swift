import Foundation
@testable import SeclabRun
import SeclabTestSupport
import Testing

/// The refused families: every family refuses its names, credentials are
/// accepted, `--allow-name` lets one name through, and docs/seclab-run.md lists exactly them.
@Suite struct EnvironmentPolicyTests {
    /// Names each family must refuse: the reviewer's findings first, then what each tool's
    /// documentation lists.
    static let refused: [String: [String]] = [
        "the dynamic loader, glibc tunables, locale and resolver files": ["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "GLIBC_TUNABLES", "GCONV_PATH", "LOCPATH", "MALLOC_CHECK_", "DYLD_INSERT_LIBRARIES", "HOSTALIASES"],
        "shell start-up, prompt and search variables": ["PATH", "ENV", "BASH_ENV", "PS1", "PS4", "PROMPT_COMMAND", "ZDOTDIR", "HISTFILE", "INPUTRC", "BASH_FUNC_ls%%", "IFS", "CDPATH", "FPATH"],
        "home, XDG and temporary directories, the login shell": ["HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "TMPDIR", "SHELL"],
        "git configuration and helpers": ["GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_PARAMETERS", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_EXEC_PATH", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_EDITOR", "GIT_PROXY_COMMAND", "GIT_TEMPLATE_DIR", "GIT_DIR", "GIT_WORK_TREE", "GIT_SSL_NO_VERIFY", "GIT_AUTHOR_NAME"],
        "ssh and gpg agents and askpass programs": ["SSH_AUTH_SOCK", "SSH_ASKPASS", "GNUPGHOME"],
        "Python, pip and uv": ["PYTHONWARNINGS", "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "PYTHONINSPECT", "PYTHON_HISTORY", "PIP_INDEX_URL", "PIP_CONFIG_FILE", "UV_INDEX_URL", "VIRTUAL_ENV"],
        "Node.js, npm, yarn, corepack and bun": ["NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS", "NODE_TLS_REJECT_UNAUTHORIZED", "NODE_REPL_EXTERNAL_MODULE", "npm_config_registry", "NPM_CONFIG_USERCONFIG", "Npm_Config_Script_Shell", "YARN_RC_FILENAME", "yarn_registry", "COREPACK_NPM_REGISTRY"],
        "Ruby, RubyGems and Bundler": ["RUBYOPT", "RUBYLIB", "GEM_HOME", "GEM_PATH", "BUNDLE_GEMFILE", "BUNDLE_PATH"],
        "Perl": ["PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB"],
        "the JVM, Maven, Gradle, Ant and sbt": ["JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "JAVA_HOME", "CLASSPATH", "MAVEN_OPTS", "MAVEN_ARGS", "GRADLE_OPTS", "GRADLE_USER_HOME", "MVNW_REPOURL"],
        ".NET, ASP.NET and NuGet": ["DOTNET_STARTUP_HOOKS", "DOTNET_ROOT", "COMPlus_EnableDiagnostics", "CORECLR_PROFILER_PATH", "CORECLR_ENABLE_PROFILING", "ASPNETCORE_HOSTINGSTARTUPASSEMBLIES", "NUGET_PLUGIN_PATHS"],
        "Go": ["GOFLAGS", "GOPROXY", "GOPATH", "GOROOT", "GOTOOLCHAIN", "GOAUTH", "GOCACHEPROG", "GOINSECURE", "GONOSUMDB", "GO111MODULE", "CGO_LDFLAGS"],
        "PHP and Composer": ["PHPRC", "PHP_INI_SCAN_DIR", "COMPOSER_HOME"],
        "Rust, cargo and rustup": ["CARGO_HOME", "CARGO_BUILD_RUSTC_WRAPPER", "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER", "RUSTC", "RUSTC_WRAPPER", "RUSTFLAGS", "RUSTDOCFLAGS", "RUSTUP_DIST_SERVER", "RUSTUP_TOOLCHAIN"],
        "Lua, R, Julia, Erlang, Tcl, Guile and Emacs": ["LUA_INIT", "LUA_PATH", "R_PROFILE_USER", "JULIA_DEPOT_PATH", "ERL_LIBS", "TCLLIBPATH"],
        "compilers, make, pkg-config and CMake": ["CC", "CXX", "LDFLAGS", "MAKEFLAGS", "MAKEFILES", "PKG_CONFIG_PATH", "CMAKE_TOOLCHAIN_FILE", "GCC_EXEC_PREFIX"],
        "tool option and argument variables": ["SBT_EXTRA_OPTS", "KAFKA_OPTS", "CATALINA_OPTS", "ES_JAVA_OPTS", "HADOOP_CLIENT_OPTIONS", "DEPLOY_ARGS", "EXTRA_FLAGS"],
        "proxies": ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy", "Https_Proxy", "FTP_PROXY", "socks_proxy", "SOCKS_SERVER"],
        "TLS trust, key logs and TLS library configuration": ["SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSLKEYLOGFILE", "OPENSSL_CONF", "OPENSSL_MODULES", "CURL_HOME", "AWS_CA_BUNDLE", "WGETRC"],
        "pagers, editors and browsers": ["PAGER", "LESS", "LESSOPEN", "LESSCLOSE", "MANPAGER", "EDITOR", "VISUAL", "BROWSER", "GH_BROWSER", "KUBE_EDITOR"],
        "container and cluster clients": ["DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CONTENT_TRUST", "KUBECONFIG", "KUBECTL_EXTERNAL_DIFF", "HELM_PLUGINS", "CONTAINERS_CONF", "CONTAINERS_REGISTRIES_CONF", "BUILDAH_ISOLATION", "PODMAN_USERNS", "CONTAINER_HOST", "REGISTRY_AUTH_FILE", "COMPOSE_FILE"],
        "cloud and infrastructure CLI configuration": ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "CLOUDSDK_CONFIG", "CLOUDSDK_PYTHON", "AZURE_CONFIG_DIR", "TF_CLI_CONFIG_FILE", "TF_CLI_ARGS_plan", "ANSIBLE_CONFIG"],
        "CI runner files and endpoints": ["GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_ACTIONS", "GITHUB_API_URL", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_RUNTIME_TOKEN", "RUNNER_TEMP", "CI", "CI_API_V4_URL"],
        "seclab's own configuration": ["SECLAB_MACHINE_KEY", "SECLAB_SERVER"],
    ]

    /// Credentials and ordinary settings a secrets manager exists to deliver.
    static let accepted = [
        "DATABASE_URL", "API_TOKEN", "TLS_KEY", "TLS_KEY_PATH", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_REGION", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "NPM_TOKEN", "NODE_AUTH_TOKEN", "YARN_NPM_AUTH_TOKEN",
        "CARGO_REGISTRY_TOKEN", "GEM_HOST_API_KEY", "DOCKER_USERNAME", "DOCKER_PASSWORD", "DOCKERHUB_TOKEN", "SSH_PRIVATE_KEY",
        "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_CLIENT_SECRET", "STRIPE_SECRET_KEY", "SENTRY_DSN",
        "SLACK_WEBHOOK_URL", "PGPASSWORD", "REDIS_URL", "TF_VAR_db_password", "ORG_GRADLE_PROJECT_signingKey", "MAVEN_PASSWORD",
        "TWINE_PASSWORD", "proxy", "PROXY_URL", "SHORT",
    ]

    @Test func everyFamilyRefusesItsNames() {
        #expect(Set(Self.refused.keys) == Set(EnvironmentPolicy.families.map(\.label)), "a family without refused examples, or a renamed one")
        for (label, names) in Self.refused {
            for name in names {
                #expect(EnvironmentPolicy.family(of: name)?.label == label, "\(name) must be refused as \(label)")
                #expect(throws: RunFailure.self) { try EnvironmentPolicy.check(name, allowed: [], role: "secret name") }
            }
        }
    }

    @Test func credentialsAndOrdinaryNamesAreAccepted() throws {
        for name in Self.accepted {
            #expect(EnvironmentPolicy.family(of: name) == nil, "\(name) must be accepted, got \(EnvironmentPolicy.family(of: name)?.label ?? "")")
            try EnvironmentPolicy.check(name, allowed: [], role: "secret name")
        }
    }

    @Test func allowNameLetsExactlyThatNameThrough() throws {
        try EnvironmentPolicy.check("GIT_CONFIG_COUNT", allowed: ["GIT_CONFIG_COUNT"], role: "secret name")
        #expect(throws: RunFailure.self) { try EnvironmentPolicy.check("GIT_CONFIG_KEY_0", allowed: ["GIT_CONFIG_COUNT"], role: "secret name") }
    }

    @Test func refusalNamesTheFamilyAndTheWayOut() {
        do {
            try EnvironmentPolicy.check("GIT_CONFIG_COUNT", allowed: [], role: "secret name")
            Issue.record("not refused")
        } catch {
            #expect(error.code == RunExitCode.failure)
            #expect(error.message.contains("git configuration and helpers"))
            #expect(error.hint?.contains("--allow-name GIT_CONFIG_COUNT") == true)
        }
    }

    /// docs/seclab-run.md "Refused names" lists every family with its exact names, prefixes
    /// and suffixes, so the document cannot drift from the code.
    @Test func documentationListsEveryFamilyExactly() throws {
        let text = try String(contentsOf: Binaries.packageRoot.appendingPathComponent("docs/seclab-run.md"), encoding: .utf8)
        guard let start = text.range(of: "## Refused names") else { Issue.record("no Refused names section"); return }
        let section = String(String(text[start.upperBound...]).components(separatedBy: "\n## ").first ?? "")
        for family in EnvironmentPolicy.families {
            guard let row = section.split(separator: "\n").first(where: { $0.hasPrefix("| \(family.label) |") }) else {
                Issue.record("docs/seclab-run.md has no row for \(family.label)")
                continue
            }
            var expected = family.names.map { "`\($0)`" } + family.prefixes.map { "`\($0)*`" }
            expected += family.anyCasePrefixes.map { "`\($0)*` (any case)" } + family.prefixesWithoutUnderscore.map { "`\($0)*` (no `_` after)" }
            expected += family.suffixes.map { "`*\($0)`" } + family.anyCaseSuffixes.map { "`*\($0)` (any case)" }
            for token in expected { #expect(row.contains(token), "\(family.label): docs miss \(token)") }
        }
        for name in EnvironmentPolicy.conventionalCredentials { #expect(section.contains("`\(name)`"), "docs miss the exception \(name)") }
    }

    /// A name from a hostile vault writer never reaches the terminal or the log raw.
    @Test func namesAreEscapedInMessages() {
        let hostile = "A\u{1B}[2J\n::warning::fake\r##[error]x\u{202E}"
        do {
            try EnvironmentPolicy.check(hostile, allowed: [], role: "secret name")
            Issue.record("not refused")
        } catch {
            let shown = error.message + (error.hint ?? "")
            #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x202E })
            #expect(shown.contains("'A\\x1B[2J\\x0A::warning::fake\\x0D##\\x5Berror]x\\u{202E}'"))
            #expect(!shown.contains("##["))
        }
        #expect(Display.line("ok\nfake") == "ok\\x0Afake")
        #expect(Display.line("plain 'x'") == "plain 'x'")
    }
}
