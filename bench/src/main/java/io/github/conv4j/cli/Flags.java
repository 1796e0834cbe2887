package io.github.conv4j.cli;

import io.github.conv4j.Settings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The flags of one command: {@code --name value}, {@code --name=value}, and switches without a value.
 * Unknown flags, a missing value or a flag given twice are {@link UsageException}s.
 */
final class Flags {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    /**
     * Parses {@code args} against the flags with values and the switches this command accepts.
     *
     * @throws UsageException for an unknown, repeated or incomplete flag
     */
    Flags(String command, List<String> args, Set<String> withValue, Set<String> switches) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) {
                positional.add(a);
                continue;
            }
            String name = a, value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (switches.contains(name)) {
                if (value != null) {
                    throw new UsageException(name + " takes no value: " + a);
                }
                value = "true";
            } else if (withValue.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException(name + " needs a value");
                    }
                    value = args.get(++i);
                }
            } else {
                throw new UsageException("unknown flag for " + command + ": " + name);
            }
            if (values.put(name, value) != null) {
                throw new UsageException(name + " given twice");
            }
        }
    }

    String get(String name) {
        return values.get(name);
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    /** The value of a required flag. */
    String require(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException("missing " + name);
        }
        return v;
    }

    List<String> positional() {
        return positional;
    }

    /** An integer flag within {@code min..max}. */
    int integer(String name, int fallback, int min, int max) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(name + " must be an integer in " + min + ".." + max + ": " + v);
    }

    /**
     * Gives conv4j the thread count {@code --threads} names (0 = all processors), when the flag is given.
     *
     * @throws UsageException if it is not an integer in 0..4096
     */
    void applyThreads() {
        if (has("--threads")) {
            Settings.setThreads(integer("--threads", 0, 0, 4096));
        }
    }

    /** A flag of the form {@code N} or {@code A,B}, each a positive integer; {@code N} means {@code N,N}. */
    int[] pair(String name, int fallback) {
        String v = values.get(name);
        if (v == null) {
            return new int[] {fallback, fallback};
        }
        String[] parts = v.split(",", -1);
        if (parts.length < 1 || parts.length > 2) {
            throw new UsageException(name + " must be N or A,B: " + v);
        }
        int[] out = new int[2];
        for (int i = 0; i < 2; i++) {
            String p = parts[Math.min(i, parts.length - 1)].trim();
            try {
                out[i] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new UsageException(name + " must be N or A,B with integers: " + v);
            }
        }
        return out;
    }
}
