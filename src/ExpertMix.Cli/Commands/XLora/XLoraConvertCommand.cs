// `expertmix xlora convert SRC DST --to original|peft`: rewrite an X-LoRA checkpoint in the other layout.
using System.CommandLine;
using ExpertMix.Adapters.XLora;

namespace ExpertMix.Cli.Commands.XLora;

/// <summary>The `xlora convert` verb.</summary>
internal static class XLoraConvertCommand
{
    public static Command Create()
    {
        var src = new Argument<string>("source") { Description = "An X-LoRA checkpoint directory (either layout)." };
        var dst = new Argument<string>("destination") { Description = "The output directory (created)." };
        var to = new Option<string>("--to") { Description = "Target layout: original (xlora_config.json + xlora_classifier.safetensors) or peft (adapter_config.json, peft_type XLORA).", Required = true };
        to.AcceptOnlyFromAmong("original", "peft");
        var cmd = new Command("convert", "Convert an X-LoRA checkpoint between the original xlora layout and PEFT's (experts are copied as sub-folders).");
        cmd.Add(src);
        cmd.Add(dst);
        cmd.Add(to);
        cmd.SetAction(pr =>
        {
            var layout = pr.GetValue(to) == "peft" ? XLoraLayout.Peft : XLoraLayout.Original;
            XLoraFormat.Convert(pr.GetValue(src)!, pr.GetValue(dst)!, layout);
            Console.Error.WriteLine($"xlora convert: wrote {Path.GetFullPath(pr.GetValue(dst)!)} ({pr.GetValue(to)} layout)");
            return 0;
        });
        return cmd;
    }
}
