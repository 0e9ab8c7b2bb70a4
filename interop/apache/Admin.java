import java.util.ArrayList;
import java.util.List;

/**
 * Runs several mqadmin commands in one JVM, one after another, then exits at once. The admin
 * tool alone needs a JVM start per command and lingers for seconds in its shutdown.
 * Usage: java -cp 'lib/*' Admin.java CMD ARGS... [--then CMD ARGS...]...
 */
public final class Admin {
    public static void main(String[] args) {
        List<List<String>> commands = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals("--then")) {
                commands.add(current);
                current = new ArrayList<>();
            } else {
                current.add(arg);
            }
        }
        commands.add(current);
        for (List<String> command : commands) {
            if (!command.isEmpty()) {
                org.apache.rocketmq.tools.command.MQAdminStartup.main(command.toArray(new String[0]));
            }
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
