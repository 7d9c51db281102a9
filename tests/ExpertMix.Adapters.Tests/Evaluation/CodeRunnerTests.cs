// The code runner: pass, fail, timeout (children killed), crash, no network; the code verifier on real MBPP/HumanEval rows.
using System.Diagnostics;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class CodeRunnerTests
{
    private static bool HasPython()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("python3", "-c pass") { RedirectStandardOutput = true, RedirectStandardError = true });
            return p is not null && p.WaitForExit(20_000) && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static CodeRunner Runner(double seconds = 10)
    {
        Skip.IfNot(HasPython(), "python3 not available");
        return new CodeRunner(new CodeRunnerOptions { Timeout = TimeSpan.FromSeconds(seconds) });
    }

    [SkippableFact]
    public void Passing_program_passes_and_its_output_is_captured()
    {
        var r = Runner().Run("def add(a, b):\n    return a + b\nassert add(2, 3) == 5\nprint('ok')\n");
        Assert.Equal(CodeOutcome.Passed, r.Outcome);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("ok", r.Stdout.Trim());
    }

    [SkippableFact]
    public void Failing_assertion_is_failed()
    {
        var r = Runner().Run("def add(a, b):\n    return a - b\nassert add(2, 3) == 5\n");
        Assert.Equal(CodeOutcome.Failed, r.Outcome);
        Assert.Contains("AssertionError", r.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Crash_and_syntax_error_are_errors()
    {
        var runner = Runner();
        Assert.Equal(CodeOutcome.Error, runner.Run("raise RuntimeError('boom')\n").Outcome);
        Assert.Equal(CodeOutcome.Error, runner.Run("def f(:\n").Outcome);
        Assert.Equal(CodeOutcome.Error, runner.Run("import sys\nsys.exit(3)\n").Outcome);
        // A real segmentation fault (the kernel delivers it even to PID 1 of a PID namespace).
        var crashed = runner.Run("import ctypes\nctypes.string_at(0)\n");
        Assert.Equal(CodeOutcome.Error, crashed.Outcome);
        Assert.NotEqual(0, crashed.ExitCode);
    }

    [SkippableFact]
    public void Memory_hog_hits_the_address_space_limit()
    {
        Skip.IfNot(HasPython(), "python3 not available");
        var runner = new CodeRunner(new CodeRunnerOptions { MemoryLimitBytes = 1L << 30 });
        var r = runner.Run("x = bytearray(3 * 1024 * 1024 * 1024)\n");
        Assert.Equal(CodeOutcome.Error, r.Outcome);
        Assert.Contains("MemoryError", r.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Infinite_loop_times_out_and_its_children_are_killed()
    {
        var runner = Runner(seconds: 2);
        string marker = Path.Combine(Path.GetTempPath(), $"expertmix-child-{Guid.NewGuid():N}");
        // The child sleeps 4 s then writes a marker; if the runner leaves it alive the marker appears.
        string program = "import subprocess, sys\n" +
                         $"subprocess.Popen([sys.executable, '-c', \"import time; time.sleep(4); open({Py(marker)}, 'w').write('alive')\"])\n" +
                         "while True:\n    pass\n";
        var clock = Stopwatch.StartNew();
        var r = runner.Run(program);
        Assert.Equal(CodeOutcome.Timeout, r.Outcome);
        Assert.Null(r.ExitCode);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.9, 8);
        Thread.Sleep(4000);
        Assert.False(File.Exists(marker), "the child process survived the timeout");
    }

    [SkippableFact]
    public void Runs_in_a_fresh_directory_without_network()
    {
        var runner = Runner();
        var r = runner.Run("import os\nprint(os.listdir('.'))\nprint(os.getcwd())\n");
        Assert.Equal(CodeOutcome.Passed, r.Outcome);
        Assert.Contains("['main.py']", r.Stdout, StringComparison.Ordinal);
        string cwd = r.Stdout.Trim().Split('\n')[^1];
        Assert.False(Directory.Exists(cwd), "the scratch directory must be deleted");
        Skip.If(CodeRunner.Sandbox == SandboxLevel.EnvironmentOnly, "no network namespace on this machine (unshare unavailable)");
        var net = runner.Run("import socket\ns = socket.socket()\ns.settimeout(2)\ns.connect(('1.1.1.1', 80))\n");
        Assert.Equal(CodeOutcome.Error, net.Outcome);
        Assert.Contains("unreachable", net.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public void Mbpp_reference_code_passes_its_tests_and_a_wrong_program_fails()
    {
        string file = SharedData.Require("data/mbpp/mbpp.jsonl");
        var runner = Runner();
        var task = EvalTasks.Get("mbpp", runner);
        var rows = task.Load(file, EvalSplit.Test);
        Assert.Equal(500, rows.Count);
        Assert.Equal("mbpp/11", rows[0].Id);
        var codes = File.ReadLines(file).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => $"mbpp/{e.GetProperty("task_id").GetInt32()}", e => e.GetProperty("code").GetString()!.Replace("\r\n", "\n", StringComparison.Ordinal));
        foreach (var row in rows.Take(3))
        {
            var ok = task.Verifier.Verify($"Here is the code:\n```python\n{codes[row.Id]}\n```\n", row.Gold);
            Assert.True(ok.Correct, $"{row.Id}: {ok.Detail}");
            var bad = task.Verifier.Verify("def nothing():\n    return None\n", row.Gold);
            Assert.False(bad.Correct, row.Id);
            Assert.StartsWith("error", bad.Detail, StringComparison.Ordinal); // NameError: the tested function is missing
        }
    }

    [SkippableFact]
    public void Humaneval_canonical_solution_completes_the_prompt()
    {
        string dir = SharedData.Require("data/humaneval");
        var runner = Runner();
        var task = EvalTasks.Get("humaneval", runner);
        var test = task.Load(dir, EvalSplit.Test);
        var dev = task.Load(dir, EvalSplit.Dev);
        Assert.Equal(164, test.Count + dev.Count);
        Assert.NotEmpty(dev);
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(dir, "HumanEval.jsonl.gz")), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var solutions = new Dictionary<string, string>();
        while (reader.ReadLine() is { } line)
        {
            var e = System.Text.Json.JsonDocument.Parse(line).RootElement;
            solutions[e.GetProperty("task_id").GetString()!] = e.GetProperty("canonical_solution").GetString()!;
        }
        var row = test[0];
        var ok = task.Verifier.Verify(row.VerifyPrefix + solutions[row.Id], row.Gold);
        Assert.True(ok.Correct, ok.Detail);
        Assert.False(task.Verifier.Verify(row.VerifyPrefix + "    return None\n", row.Gold).Correct);
    }

    private static string Py(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
