package io.github.conv4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.conv4j.Accuracy;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecFieldsTest {
    @Test
    void everyFieldSurvivesJavaSerialization() throws IOException, ClassNotFoundException {
        List<ConvSpec> specs = List.of(
                ConvSpec.builder().input(4, 9, 7, 3).kernel(3, 3, 5).padding(Padding.SAME).bias(true).relu(true)
                        .build(),
                ConvSpec.builder().layout(Layout.NCHW).input(2, 11, 13, 6).kernel(3, 2, 4).stride(2, 1)
                        .dilation(1, 2).groups(2).padding(Padding.explicit(1, 0, 2, 3)).build(),
                ConvSpec.builder().input(1, 8, 8, 4).kernel(3, 3, 8).groups(4).padding(Padding.SAME_LOWER)
                        .stride(3).build(),
                ConvSpec.builder().input(2, 6, 6, 2).kernel(3, 3, 2).accuracy(Accuracy.FAST).build());
        for (ConvSpec spec : specs) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(SpecFields.of(spec));
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                ConvSpec back = ((SpecFields) in.readObject()).toSpec();
                assertEquals(spec, back);
                assertEquals(spec.toString(), back.toString());
            }
        }
    }
}
