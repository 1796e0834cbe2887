package io.github.conv4j.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Tensor;
import io.github.conv4j.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The golden cases in test resources ({@code golden/}): NHWC/HWIO inputs, float64 expected outputs. */
public final class Golden {
    private Golden() {
    }

    /** One case as stored: its name, stride, dilation, padding, groups and files. */
    public record Case(String name, int sh, int sw, int dh, int dw, Padding padding, int groups, Path dir) {
        /** The spec for this case in {@code layout}, shapes taken from the stored (NHWC/HWIO) tensors. */
        public ConvSpec spec(Layout layout, Tensor x, Tensor w) {
            long[] xs = x.shape(), ws = w.shape();
            return ConvSpec.builder().layout(Layout.NHWC).groups(groups).shapes(xs, ws)
                    .dtype(x.dtype()).stride(sh, sw).dilation(dh, dw).padding(padding).build()
                    .toBuilder().layout(layout).build();
        }

        public Tensor load(String file, Arena arena) {
            try {
                return Npy.read(dir.resolve(file), arena);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The golden directory inside test resources. */
    public static Path dir() {
        try {
            return Path.of(Golden.class.getResource("/golden/cases.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every case listed in {@code cases.json}. */
    public static List<Case> cases() {
        try {
            Path dir = dir();
            JsonObject root = JsonParser.parseString(Files.readString(dir.resolve("cases.json"))).getAsJsonObject();
            List<Case> out = new ArrayList<>();
            for (JsonElement e : root.getAsJsonArray("cases")) {
                JsonObject c = e.getAsJsonObject();
                JsonArray s = c.getAsJsonArray("stride"), d = c.getAsJsonArray("dilation");
                out.add(new Case(c.get("name").getAsString(), s.get(0).getAsInt(), s.get(1).getAsInt(),
                        d.get(0).getAsInt(), d.get(1).getAsInt(), padding(c.get("padding")),
                        c.get("groups").getAsInt(), dir.resolve(c.get("name").getAsString())));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Padding padding(JsonElement p) {
        if (p.isJsonPrimitive()) {
            return Padding.parse(p.getAsString());
        }
        JsonArray a = p.getAsJsonArray();
        return Padding.explicit(a.get(0).getAsJsonArray().get(0).getAsInt(), a.get(0).getAsJsonArray().get(1).getAsInt(),
                a.get(1).getAsJsonArray().get(0).getAsInt(), a.get(1).getAsJsonArray().get(1).getAsInt());
    }
}
