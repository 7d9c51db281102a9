// Runs untrusted Python (a candidate program plus its tests) in a separate, network-less, time-limited process.
using System.Diagnostics;

namespace ExpertMix.Adapters.Evaluation;

/// <summary>How a program run ended.</summary>
internal enum CodeOutcome
{
    /// <summary>Exit code 0: every test passed.</summary>
    Passed,

    /// <summary>An <c>AssertionError</c> (a test failed).</summary>
    Failed,

    /// <summary>Any other non-zero exit (syntax error, exception, crash, signal).</summary>
    Error,

    /// <summary>The wall-clock limit was reached and the process tree was killed.</summary>
    Timeout,
}

/// <summary>The isolation the runner could obtain on this machine (probed once per process).</summary>
internal enum SandboxLevel
{
    /// <summary>
    /// <c>unshare -r -n -p -f --kill-child</c>: new user, network (loopback only, down) and PID namespaces; when the
    /// program (PID 1 of its namespace) or the runner's child dies, every process in the namespace is killed.
    /// </summary>
    NamespacesWithPid,

    /// <summary><c>unshare -r -n</c>: no network, but no PID namespace (the process tree is killed by walking it).</summary>
    NetworkNamespace,

    /// <summary>
    /// No namespaces available: only environment variables that point proxies at an unroutable address. This does
    /// NOT prevent direct socket access.
    /// </summary>
    EnvironmentOnly,
}

/// <summary>The result of one run: outcome, exit code, captured output (truncated), wall time.</summary>
/// <param name="Outcome">How the run ended.</param>
/// <param name="ExitCode">The exit code, or null on timeout.</param>
/// <param name="Stdout">Standard output (at most <see cref="CodeRunnerOptions.MaxOutputChars"/> characters).</param>
/// <param name="Stderr">Standard error (truncated likewise).</param>
/// <param name="Elapsed">Wall time of the run.</param>
internal sealed record CodeRunResult(CodeOutcome Outcome, int? ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

/// <summary>Options of <see cref="CodeRunner"/>.</summary>
internal sealed record CodeRunnerOptions
{
    /// <summary>Wall-clock limit per program (default 10 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The Python interpreter (default <c>python3</c> on PATH).</summary>
    public string Python { get; init; } = "python3";

    /// <summary>Address-space limit of the Python process (RLIMIT_AS, set before the program runs), or null for none. Default 4 GiB.</summary>
    public long? MemoryLimitBytes { get; init; } = 4L << 30;

    /// <summary>Captured characters kept per stream.</summary>
    public int MaxOutputChars { get; init; } = 4000;
}

/// <summary>
/// Runs a Python program in a separate <c>python3</c> process: the code is written to <c>main.py</c> in a fresh
/// temporary directory (the working directory, deleted afterwards), run with <c>-I</c> (isolated mode: no user
/// site, no PYTHON* variables) under an address-space limit, a minimal environment, no standard input, under the best <see cref="SandboxLevel"/>
/// available, and killed with its whole process tree at the time limit. Code is never run in-process.
/// Not a security boundary against hostile code: the file system is not isolated (only the working directory is
/// fresh). Under <see cref="SandboxLevel.NamespacesWithPid"/> the program is PID 1 of its namespace, so signals it
/// sends itself without a handler (e.g. <c>os.kill(os.getpid(), SIGTERM)</c>) are ignored.
/// </summary>
internal sealed class CodeRunner
{
    private static readonly Lazy<SandboxLevel> Probed = new(Probe);

    /// <summary>Creates a runner.</summary>
    public CodeRunner(CodeRunnerOptions? options = null) => Options = options ?? new CodeRunnerOptions();

    /// <summary>The options.</summary>
    public CodeRunnerOptions Options { get; }

    /// <summary>The isolation used on this machine.</summary>
    public static SandboxLevel Sandbox => Probed.Value;

    /// <summary>Runs <paramref name="program"/> and classifies the result.</summary>
    public CodeRunResult Run(string program)
    {
        ArgumentNullException.ThrowIfNull(program);
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-code-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "main.py"), program);
            string[] args = Options.MemoryLimitBytes is { } limit
                ? ["-I", "-c", $"import resource, runpy; resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit})); runpy.run_path('main.py', run_name='__main__')"]
                : ["-I", "main.py"];
            var psi = StartInfo(Sandbox, Options.Python, args, dir);
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Options.Python}");
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            bool exited = process.WaitForExit(Options.Timeout);
            if (!exited)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
            }
            else
            {
                process.WaitForExit(); // flushes the redirected streams
            }
            clock.Stop();
            string err = Truncate(Wait(stderr)), output = Truncate(Wait(stdout));
            if (!exited) return new CodeRunResult(CodeOutcome.Timeout, null, output, err, clock.Elapsed);
            int code = process.ExitCode;
            var outcome = code == 0 ? CodeOutcome.Passed : err.Contains("AssertionError", StringComparison.Ordinal) ? CodeOutcome.Failed : CodeOutcome.Error;
            return new CodeRunResult(outcome, code, output, err, clock.Elapsed);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string Wait(Task<string> read) => read.Wait(TimeSpan.FromSeconds(5)) ? read.Result : "";

    private string Truncate(string s) => s.Length <= Options.MaxOutputChars ? s : s[..Options.MaxOutputChars] + "…";

    private static ProcessStartInfo StartInfo(SandboxLevel level, string python, IEnumerable<string> args, string dir)
    {
        var psi = new ProcessStartInfo
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        switch (level)
        {
            case SandboxLevel.NamespacesWithPid:
                psi.FileName = "unshare";
                foreach (var a in (string[])["-r", "-n", "-p", "-f", "--kill-child", python]) psi.ArgumentList.Add(a);
                break;
            case SandboxLevel.NetworkNamespace:
                psi.FileName = "unshare";
                foreach (var a in (string[])["-r", "-n", python]) psi.ArgumentList.Add(a);
                break;
            default:
                psi.FileName = python;
                break;
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A minimal environment: PATH (to find python3 and its shims), HOME/TMPDIR in the scratch directory, proxies
        // pointed at an unroutable address (the only network "block" of EnvironmentOnly).
        var keep = new[] { "PATH", "PYENV_ROOT", "PYENV_VERSION", "LANG" };
        var saved = keep.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        psi.Environment.Clear();
        foreach (var (k, v) in saved) if (v is not null) psi.Environment[k] = v;
        psi.Environment["HOME"] = dir;
        psi.Environment["TMPDIR"] = dir;
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        psi.Environment["PYTHONHASHSEED"] = "0";
        foreach (var p in (string[])["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"]) psi.Environment[p] = "http://127.0.0.1:9";
        psi.Environment["no_proxy"] = "";
        return psi;
    }

    private static SandboxLevel Probe()
    {
        foreach (var level in (SandboxLevel[])[SandboxLevel.NamespacesWithPid, SandboxLevel.NetworkNamespace])
        {
            try
            {
                var psi = StartInfo(level, "true", [], Path.GetTempPath());
                using var p = Process.Start(psi);
                if (p is null) continue;
                p.StandardInput.Close();
                if (p.WaitForExit(TimeSpan.FromSeconds(5)) && p.ExitCode == 0) return level;
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // unshare missing
            }
        }
        return SandboxLevel.EnvironmentOnly;
    }
}
