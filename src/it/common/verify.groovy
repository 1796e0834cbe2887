// The JVM warns, in lines of its own, about each module that calls a restricted method or binds a native method
// without native access; the flags in native-config/ must leave none of those lines in the consumer's output
// (conv4j's own warnings about an unavailable engine may name the flag, and are not matched).
def log = new File(basedir, 'build.log').text
def warnings = log.readLines().findAll { it =~ /^WARNING: (A restricted method|A native method|Use --enable-native-access|Restricted methods will be blocked)/ }
if (!warnings.isEmpty()) {
    throw new AssertionError("native access warnings in " + basedir.name + ":\n" + warnings.join("\n"))
}
if (!log.contains('consumer check passed')) {
    throw new AssertionError("the consumer did not report its check as passed in " + basedir.name)
}
return true
