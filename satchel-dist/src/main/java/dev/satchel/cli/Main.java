package dev.satchel.cli;

/** Entry point of the {@code satchel} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(SatchelCommand.commandLine().execute(args));
    }
}
