# bash completion for fsviews: the binary lists the commands and flags
# that fit (fsviews [COMMAND] --generate-bash-completion).
_fsviews() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${words[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _fsviews fsviews
