package dev.satchel.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version from the jar manifest, or "development" when run from classes. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = SatchelCommand.class.getPackage().getImplementationVersion();
        return new String[] {"satchel " + (v == null ? "development build" : v), "Java " + Runtime.version()};
    }
}
