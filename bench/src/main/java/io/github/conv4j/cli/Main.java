package io.github.conv4j.cli;

import io.github.conv4j.Wisdom;
import io.github.conv4j.io.NpyFormatException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code conv4j} command line: {@code info}, {@code run}, {@code compare}, {@code verify} and {@code tune}.
 *
 * <p>Exit status 0 on success, 2 with one {@code error: ...} line on stderr for user error (bad flags, bad or
 * mismatched files, an unknown or declining engine), 1 for an internal failure or when {@code compare} or
 * {@code verify} finds an engine's output wrong.
 */
public final class Main {
    static final String USAGE = """
            usage: conv4j COMMAND [FLAGS]
              info [--wisdom FILE]         JDK, CPU, engines and their availability, native versions, threads, wisdom
              run --input X.npy --weights W.npy --output Y.npy [--bias B.npy] [--stride S|SH,SW]
                  [--dilation D|DH,DW] [--padding VALID|SAME|SAME_LOWER|T,B,L,R] [--groups G]
                  [--layout NHWC|NCHW] [--relu] [--engine NAME|auto] [--threads N] [--accuracy exact|fast|bf16]
                                           one convolution on .npy files (weights HWIO for NHWC, OIHW for NCHW)
              compare [--shapes S1,S2,...|all] [--engines all|a,b] [--threads N]
                  [--dtype float32|float64|bfloat16|int8|uint8]
                  [--layout NHWC|NCHW] [--accuracy exact|fast|bf16] [--seconds S] [--json FILE]
                  [--chart FILE.png|FILE.svg] [--merge PEERS.json,...] [--plan estimate|measure] [--wisdom FILE]
                                           time every engine on benchmark shapes and check its output against
                                           naive; table on stdout, progress on stderr; exit 1 if one is wrong;
                                           --plan measure makes the auto row time the engines and take the fastest;
                                           int8|uint8: synthetic quantized inputs, int8 output, error in units
              verify DIR [--engines all|a,b] [--layouts NHWC,NCHW] [--accuracy exact|fast|bf16] [--dtype bfloat16]
                                           run every golden case in DIR through each engine; exit 1 if any fails
              tune [--shapes S1,S2,...|all | --from-golden DIR] [--threads N] [--accuracy exact|fast|bf16]
                  [--dtype float32|float64|bfloat16] [--layout NHWC|NCHW] [--budget S] --out FILE
                                           time the engines on each spec (twice: the first pass warms the JIT)
                                           and write the fastest as wisdom for -Dconv4j.wisdom=FILE
            shapes: S1 S2 (the notebook's), R1..R6 (ResNet-50), D1 (MobileNet depthwise); default S1,S2,R4,D1
            accuracy: the level engines must meet, exact (default), fast (a tolerance ten times larger) or bf16
                (inputs and weights may be rounded to bfloat16 inside the engine; float32 sums)
            dtype bfloat16: ml_dtypes' bfloat16, .npy descr '<V2'; run's output has the input's dtype
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the exit status instead of exiting, so tests can call it. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        // conv4j logs auto's choice at INFO; the command line keeps stderr for warnings and errors
        Logger.getLogger("io.github.conv4j").setLevel(Level.WARNING);
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        // a -Dconv4j.wisdom file that cannot be used fails every plan through auto; say so once, up front (info
        // reports it among the rest instead)
        Optional<String> wisdom = args[0].equals("info") ? Optional.empty() : Wisdom.startupProblem();
        if (wisdom.isPresent()) {
            return fail(err, wisdom.get());
        }
        try {
            switch (args[0]) {
                case "info" -> InfoCommand.run(rest, out);
                case "run" -> RunCommand.run(rest, out);
                case "compare" -> {
                    return CompareCommand.run(rest, out, err);
                }
                case "verify" -> {
                    return VerifyCommand.run(rest, out);
                }
                case "tune" -> {
                    return TuneCommand.run(rest, out, err);
                }
                default -> throw new UsageException("unknown command: " + args[0]
                        + " (info, run, compare, verify, tune)");
            }
            return 0;
        } catch (UsageException | IllegalArgumentException | IndexOutOfBoundsException
                | UnsupportedOperationException | NpyFormatException e) {
            return fail(err, e.getMessage());
        } catch (NoSuchFileException e) {
            return fail(err, "no such file: " + e.getFile());
        } catch (AccessDeniedException e) {
            return fail(err, "permission denied: " + e.getFile());
        } catch (IOException e) {
            return fail(err, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (RuntimeException | Error e) {
            err.println("error: internal: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    private static int fail(PrintStream err, String message) {
        err.println("error: " + String.valueOf(message).replace('\n', ' '));
        return 2;
    }
}
