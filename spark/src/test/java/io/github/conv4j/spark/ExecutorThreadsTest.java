package io.github.conv4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.Settings;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ExecutorThreadsTest {
    @Test
    void localMastersGiveTheirCoresWhateverExecutorCoresSays() {
        assertEquals(1, ExecutorThreads.cores("local", null, 8));
        assertEquals(2, ExecutorThreads.cores("local[2]", null, 8));
        assertEquals(2, ExecutorThreads.cores("local[2]", "6", 8));
        assertEquals(8, ExecutorThreads.cores("local[*]", null, 8));
        assertEquals(3, ExecutorThreads.cores("local[3, 4]", null, 8));
        assertEquals(8, ExecutorThreads.cores("local[*,2]", null, 8));
        assertEquals(3, ExecutorThreads.cores("local-cluster[2, 3, 1024]", null, 8));
    }

    @Test
    void clusterMastersUseExecutorCoresElseProcessors() {
        assertEquals(4, ExecutorThreads.cores("yarn", "4", 8));
        assertEquals(4, ExecutorThreads.cores("spark://host:7077", " 4 ", 8));
        assertEquals(8, ExecutorThreads.cores("spark://host:7077", null, 8));
        assertEquals(8, ExecutorThreads.cores("k8s://https://host:443", "", 8));
    }

    @Test
    void badExecutorCoresIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExecutorThreads.cores("yarn", "two", 8));
        assertTrue(e.getMessage().contains("spark.executor.cores must be an integer >= 1: two"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExecutorThreads.cores("yarn", "0", 8));
    }

    @Test
    void setsTheThreadSettingOncePerApplication() {
        Assumptions.assumeTrue(System.getProperty(Settings.THREADS) == null,
                "-D" + Settings.THREADS + " is set, and an executor started with it keeps it");
        try {
            ExecutorThreads.apply("threads-test-1", new SparkConf(false).set("spark.master", "local[3]"));
            assertEquals(3, Settings.threads());
            // later tasks of the same application leave the setting alone
            Settings.setThreads(5);
            ExecutorThreads.apply("threads-test-1", new SparkConf(false).set("spark.master", "local[3]"));
            assertEquals(5, Settings.threads());
            ExecutorThreads.apply("threads-test-2",
                    new SparkConf(false).set("spark.master", "yarn").set("spark.executor.cores", "4"));
            assertEquals(4, Settings.threads());
        } finally {
            Settings.setThreads(0);   // the shipped default: all processors
        }
    }
}
