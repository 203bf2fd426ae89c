# fish completion for jmemctl(1). The bash (jmemctl) and zsh (_jmemctl) completions beside this file
# cover the same: the commands, each command's options, the sort keys, units for throttle, release,
# explain and log --unit, policy files for validate. --json takes its format only inline
# (--json=pretty, --json=short); the words after "--" are operands.

set -l __jmemctl_commands help status top monitor reload validate check plan apply revert throttle release \
    explain log reclaim

# The command on the line (the first word that is no option nor an option's value), or nothing.
function __jmemctl_command
    set -l words (commandline -opc)
    set -e words[1]
    set -l literal 0
    set -l skip 0
    for word in $words
        if test $skip = 1
            set skip 0
        else if test $literal = 1
            echo $word
            return 0
        else if test "$word" = --
            set literal 1
        else if contains -- $word --lines -n --iterations --sort --base --since --unit
            set skip 1
        else if not string match -q -- '-*' $word
            echo $word
            return 0
        end
    end
    return 1
end

# How many operands follow the command (a unit, the command help explains).
function __jmemctl_operands
    set -l words (commandline -opc)
    set -e words[1]
    set -l literal 0
    set -l skip 0
    set -l count -1
    for word in $words
        if test $skip = 1
            set skip 0
        else if test $literal = 1
            set count (math $count + 1)
        else if test "$word" = --
            set literal 1
        else if contains -- $word --lines -n --iterations --sort --base --since --unit
            set skip 1
        else if not string match -q -- '-*' $word
            set count (math $count + 1)
        end
    end
    echo $count
end

function __jmemctl_using
    set -l command (__jmemctl_command)
    and contains -- $command $argv
end

# True for a command that takes one operand and has none yet.
function __jmemctl_wants_operand
    __jmemctl_using $argv; and test (__jmemctl_operands) -eq 0
end

function __jmemctl_units
    # Units the governor could act on: loaded services and scopes, as systemd lists them.
    systemctl list-units --no-legend --no-pager --plain --type=service,scope 2>/dev/null |
        string replace -r '\s.*' ''
end

complete -c jmemctl -f

# Commands.
set -l no_command "not __jmemctl_command >/dev/null"
complete -c jmemctl -n $no_command -a help -d "This help, or one command's"
complete -c jmemctl -n $no_command -a status -d "The system at a glance (the default)"
complete -c jmemctl -n $no_command -a top -d "Processes by cost (PSS + NvMap), under their units"
complete -c jmemctl -n $no_command -a monitor -d "Print changes as the governor announces them"
complete -c jmemctl -n $no_command -a reload -d "Make jmemd reload its policy"
complete -c jmemctl -n $no_command -a validate -d "Check policy files as jmemd would read them"
complete -c jmemctl -n $no_command -a check -d "Each policy item: expected, actual, state, cost of a drift"
complete -c jmemctl -n $no_command -a plan -d "The changes apply would make, and the memory back"
complete -c jmemctl -n $no_command -a apply -d "Make them, each recorded first so revert can undo it"
complete -c jmemctl -n $no_command -a revert -d "Undo every change jmemd made, newest first"
complete -c jmemctl -n $no_command -a throttle -d "Take the next step of a unit's throttle ladder now"
complete -c jmemctl -n $no_command -a release -d "Undo every throttle step in effect on a unit"
complete -c jmemctl -n $no_command -a explain -d "Which rules of the policy match a unit, and what the throttle would do"
complete -c jmemctl -n $no_command -a log -d "What jmem did and decided, with origin, result and time"
complete -c jmemctl -n $no_command -a reclaim -d "What each knob of NVIDIA's guide would give back here, measured"

# Options of every command.
complete -c jmemctl -l json -a "pretty\t'Indented (as --json)' short\t'On one line'" -d "One JSON document with stable keys"
complete -c jmemctl -l no-pager -d "Do not pipe output into a pager"
complete -c jmemctl -l no-legend -d "Omit column headers and footers"
complete -c jmemctl -s h -l help -d "Show the help of jmemctl, or of the command"
complete -c jmemctl -n $no_command -l version -d "Show the version"

# help COMMAND
complete -c jmemctl -n "__jmemctl_wants_operand help" -a "$__jmemctl_commands" -d Command

# top
set -l top "__jmemctl_using top"
complete -c jmemctl -n $top -l units -d "Units alone, without their processes"
complete -c jmemctl -n $top -l lines -x -d "Show N rows (0 for all)"
complete -c jmemctl -n $top -l sort -x -a "pss\t'Proportional set size' nvmap\t'NvMap GPU buffers' gpu\t'GPU memory from NVML' cost\t'PSS + NvMap (the default)' name\t'Process or unit name'" -d "Order the rows"
complete -c jmemctl -n $top -l full -d "Whole command lines instead of process names"
complete -c jmemctl -n $top -s b -l batch -d "Plain snapshots, as when the output is no terminal"
complete -c jmemctl -n $top -s n -l iterations -x -d "Snapshots before exiting (0: until interrupted)"

# validate [--base FILE | --builtin-base] FILE... [--drop-in FILE...]
set -l validate "__jmemctl_using validate"
# One base at most: --base FILE or --builtin-base, not both.
set -l one_base "$validate; and not __fish_seen_argument -l base -l builtin-base"
complete -c jmemctl -n $one_base -l base -x -a "(__fish_complete_suffix .toml)" -d "The main policy the drop-ins merge onto"
complete -c jmemctl -n $one_base -l builtin-base -d "The built-in default is the base"
complete -c jmemctl -n $validate -l drop-in -d "The files after it are drop-ins"
complete -c jmemctl -n $validate -a "(__fish_complete_suffix .toml)"

# throttle UNIT, release UNIT
complete -c jmemctl -n "__jmemctl_wants_operand throttle release explain" -a "(__jmemctl_units)" -d Unit

# log [--since TIME] [--unit UNIT] [--lines N]
set -l log "__jmemctl_using log"
complete -c jmemctl -n $log -l since -x -a "today yesterday -1h -24h" -d "From TIME (today, -2h, 30min ago)"
complete -c jmemctl -n $log -l unit -x -a "(__jmemctl_units)" -d "Only what concerns UNIT"
complete -c jmemctl -n $log -l lines -x -d "Only the newest N (0 for all)"
