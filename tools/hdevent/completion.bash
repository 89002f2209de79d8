# bash completion for hdevent(1): subcommands, their options, files where an option or operand
# takes one, the `events` verbs and the IDs of the loaded module's events, the exit words of
# selftest-vmcall.
#
# Installed as share/bash-completion/completions/hdevent, which bash-completion loads the first
# time `hdevent` is completed; without bash-completion: `source completion.bash`.
#
# The subcommands and options come from the tool's own --help (the "Subcommands:" and
# "Options:" blocks), so they are those of the hdevent being completed, whatever its version;
# tests/cli/man-completion.sh checks the result against every subcommand's --help.

# The hdevent being completed: the command word as typed, else the one on PATH.
_hdevent_tool() {
    local tool
    tool=$(command -v -- "${COMP_WORDS[0]}" 2>/dev/null) || tool=$(command -v hdevent)
    printf '%s' "$tool"
}

_hdevent_subcommands() {
    "$1" --help 2>/dev/null |
        awk '/^Subcommands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }'
}

# The options of subcommand $2 (-x and --long words, on one line); with $3 = value, only those
# that take a value, and with $3 = file, only those whose value is a FILE or PATH.
_hdevent_options() {
    "$1" "$2" --help 2>/dev/null | awk -v want="${3:-all}" -v ORS=" " '
        /^Options:/ { on = 1; next }
        on && /^$/ { exit }
        on && /^ +-/ {
            n = split($0, w, " "); names = ""; arg = ""
            for (i = 1; i <= n; i++) {
                t = w[i]; sub(/,$/, "", t)
                if (t ~ /^-/) names = names " " t
                else { if (t ~ /^[A-Z]+([=:][A-Z]+)*$/) arg = t; break } # MS, NAME=KIND:TARGET
            }
            if (want == "all" || (want == "value" && arg != "") ||
                (want == "file" && (arg == "FILE" || arg == "PATH")))
                print names
        }'
}

# The IDs of the events the loaded module holds, as `events e|d|c` takes them (hex).
_hdevent_event_ids() {
    local id
    "$1" events 2>/dev/null | sed -n 's/^{"type":"listed","id":\([0-9]*\),.*/\1/p' |
        while read -r id; do printf '%x\n' "$id"; done
}

_hdevent() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local tool sub i operands=0 opt
    tool=$(_hdevent_tool)
    [ -n "$tool" ] || return 0
    COMPREPLY=()

    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(_hdevent_subcommands "$tool") help --help --version" -- "$cur"))
        return 0
    fi
    sub=${COMP_WORDS[1]}
    if [ "$sub" = help ]; then
        [ "$COMP_CWORD" -eq 2 ] &&
            COMPREPLY=($(compgen -W "$(_hdevent_subcommands "$tool")" -- "$cur"))
        return 0
    fi

    # The value of an option: `--file x`, `-f x`, and `--file=x` (bash splits the = off).
    opt=$prev
    if [ "$cur" = "=" ]; then # `--file=` and the cursor after the =: an empty value so far
        cur=""
    elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 3 ]; then
        opt=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        cur=${cur#*=}
    fi
    if [[ $opt == -* ]]; then
        if [[ " $(_hdevent_options "$tool" "$sub" file) " == *" $opt "* ]]; then
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
        fi
        if [[ " $(_hdevent_options "$tool" "$sub" value) " == *" $opt "* ]]; then
            return 0 # a number or a tag: nothing to offer
        fi
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_hdevent_options "$tool" "$sub")" -- "$cur"))
        return 0
    fi

    # Operands so far (words after the subcommand that are neither options nor their values).
    local value_opts
    value_opts=" $(_hdevent_options "$tool" "$sub" value) "
    for ((i = 2; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --) ;;
            -*)
                # Its value: the next word, or the one after an = (`--device=x` is three words).
                if [[ $value_opts == *" ${COMP_WORDS[i]} "* ]]; then
                    i=$((i + 1))
                    [ "${COMP_WORDS[i]}" = "=" ] && i=$((i + 1))
                fi
                ;;
            *) operands=$((operands + 1)) ;;
        esac
    done
    case $sub in
        decode | run)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            ;;
        events)
            if [ "$operands" -eq 0 ]; then
                COMPREPLY=($(compgen -W "e d c" -- "$cur"))
            elif [ "$operands" -eq 1 ]; then
                COMPREPLY=($(compgen -W "all $(_hdevent_event_ids "$tool")" -- "$cur"))
            fi
            ;;
        selftest-vmcall)
            compopt -o nospace 2>/dev/null
            COMPREPLY=($(compgen -W "core= pid= cpl= rip= len= rax= rcx= rdx= rbx= rsp= rbp=
                rsi= rdi= r8= r9= r10= r11= r12= r13= r14= r15=" -- "$cur"))
            ;;
    esac
    return 0
}
complete -F _hdevent hdevent
