package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {}, \"c\": [], \"d\": \"x\\\"\\\\\\/\\n\\u0041\"} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(Arrays.asList(1.0, -2500.0, true, false, null), m.get("a"));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
        assertEquals("x\"\\/\nA", m.get("d"));
    }

    @Test
    void numbersFollowJsonsGrammarAndNestingUpToTheLimitParses() {
        assertEquals(List.of(0.0, -0.5, 1e10, 25.0, -1.5e-3), Json.parse("[0, -0.5, 1E10, 2.5e+1, -1.5e-3]"));
        Object deep = Json.parse("[".repeat(64) + "]".repeat(64));
        for (int i = 0; i < 63; i++) {
            deep = ((List<?>) deep).get(0);
        }
        assertEquals(List.of(), deep);
    }

    @Test
    void quotedStringsReadBackUnchanged() {
        for (String s : List.of("", "plain", "q\"uote", "back\\slash", "tab\tnew\nline\r", "\u0001ctl", "ünï")) {
            assertEquals(s, Json.parse(Json.quote(s)));
        }
    }

    @Test
    void malformedTextIsAnErrorNamingTheCharacter() {
        String[][] cases = {
            {"", "expected a value at character 0, found end of input"},
            {"{\"a\" 1}", "expected ':' at character 5"},
            {"[1, 2", "expected ']' at character 5, found end of input"},
            {"{\"a\": 1} x", "expected end of input at character 9, found 'x'"},
            {"\"abc", "closing the string"},
            {"{1: 2}", "expected a string key at character 1"},
            {"[tru]", "expected true at character 1"},
            {"\"\\q\"", "expected an escape"},
            {"[1.2.3]", "expected ']' at character 4"},
            {"[+1]", "expected a value at character 1"},
            {"[01]", "expected ']' at character 2"},
            {"[1.]", "expected a number at character 1"},
            {"[1e]", "expected a number at character 1"},
            {"[-]", "expected a number at character 1"},
            {"[".repeat(65) + "]".repeat(65), "expected at most 64 nested arrays and objects at character 64"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
