// Turns expected failures (bad files, bad arguments) into one `error: …` line on stderr and exit code 2.
namespace ExpertMix.Cli;

/// <summary>An error caused by the user's input: printed as one line, exit code 2.</summary>
internal sealed class UserErrorException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Maps exceptions to exit codes without stack traces for user errors.</summary>
internal static class CliErrors
{
    /// <summary>Exit code for invalid input (bad file, bad option).</summary>
    public const int UserError = 2;

    /// <summary>Runs <paramref name="body"/>, printing `error: message` for user-facing exceptions.</summary>
    public static int Run(Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine("error: " + OneLine(e.Message));
            return UserError;
        }
    }

    /// <summary>User errors: our own, file-format errors (InvalidDataException, FormatException), missing files, bad arguments, unsupported features.</summary>
    public static bool IsUserError(Exception e) => e is UserErrorException or InvalidDataException or FileNotFoundException
        or DirectoryNotFoundException or ArgumentException or UnauthorizedAccessException or NotSupportedException or FormatException;

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
