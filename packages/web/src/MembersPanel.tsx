import type { MatrixClient, Room } from 'matrix-js-sdk'
import { useId, useState, type SubmitEvent } from 'react'
import { errorText } from './errorText'
import { canInvite, canModerate, powerLabel, type ModerationAction } from './roomPower'
import { inviteMember, memberRows, moderate, roomPower, type MemberRow } from './roomMembers'

interface Props {
  readonly client: MatrixClient
  readonly room: Room
}

const VERBS: Readonly<Record<ModerationAction, { label: string; doing: string }>> = {
  kick: { label: 'Kick', doing: 'kicking' },
  ban: { label: 'Ban', doing: 'banning' },
  unban: { label: 'Unban', doing: 'unbanning' },
}

interface Pending {
  readonly member: MemberRow
  readonly action: 'kick' | 'ban'
}

export function MembersPanel({ client, room }: Props) {
  const me = client.getSafeUserId()
  const power = roomPower(room)
  const rows = memberRows(room)
  const [invitee, setInvitee] = useState('')
  const [pending, setPending] = useState<Pending | undefined>()
  const [reason, setReason] = useState('')
  const [failure, setFailure] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  const id = useId()

  const run = (what: string, work: () => Promise<void>): void => {
    setFailure(undefined)
    setBusy(true)
    work()
      .then(() => {
        setPending(undefined)
        setReason('')
      })
      .catch((caught: unknown) => {
        setFailure(`${what}: ${errorText(caught)}`)
      })
      .finally(() => {
        setBusy(false)
      })
  }

  function onInvite(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault()
    run('Could not invite', async () => {
      await inviteMember(client, room.roomId, invitee)
      setInvitee('')
    })
  }

  function onConfirm(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault()
    if (pending === undefined) return
    const { member, action } = pending
    run(`Could not ${action} ${member.name}`, () =>
      moderate(client, room.roomId, member.userId, action, reason),
    )
  }

  return (
    <aside className="side-panel members" aria-label="Members">
      <h3>Members</h3>
      {canInvite(power, me) ? (
        <form className="inline-form" onSubmit={onInvite}>
          <label htmlFor={`${id}-invite`}>User ID to invite</label>
          <input
            id={`${id}-invite`}
            value={invitee}
            placeholder="@name:server"
            autoComplete="off"
            onChange={(event) => {
              setInvitee(event.target.value)
            }}
          />
          <button type="submit" disabled={busy || invitee.trim() === ''}>
            Invite
          </button>
        </form>
      ) : null}
      {failure === undefined ? null : (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      <ul className="member-list">
        {rows.map((member) => {
          const role = powerLabel(power, member.userId)
          const actions: ModerationAction[] =
            member.membership === 'ban' ? ['unban'] : ['kick', 'ban']
          const allowed = actions.filter((action) => canModerate(power, me, member.userId, action))
          const confirming = pending?.member.userId === member.userId ? pending : undefined
          return (
            <li key={member.userId} aria-label={member.name}>
              <div className="member-name">
                <span>{member.name}</span>
                {role === undefined ? null : <span className="member-role">{role}</span>}
                {member.membership === 'join' ? null : (
                  <span className="member-role">
                    {member.membership === 'invite' ? 'Invited' : 'Banned'}
                  </span>
                )}
              </div>
              <div className="member-id">{member.userId}</div>
              {allowed.length === 0 ? null : (
                <div className="member-actions">
                  {allowed.map((action) => (
                    <button
                      key={action}
                      type="button"
                      className="secondary"
                      disabled={busy}
                      onClick={() => {
                        if (action === 'unban') {
                          run(`Could not unban ${member.name}`, () =>
                            moderate(client, room.roomId, member.userId, 'unban', ''),
                          )
                        } else {
                          setReason('')
                          setPending({ member, action })
                        }
                      }}
                    >
                      {VERBS[action].label}
                    </button>
                  ))}
                </div>
              )}
              {confirming === undefined ? null : (
                <form className="inline-form" onSubmit={onConfirm}>
                  <label htmlFor={`${id}-reason`}>
                    Reason for {VERBS[confirming.action].doing} {member.name} (optional)
                  </label>
                  <input
                    id={`${id}-reason`}
                    value={reason}
                    autoComplete="off"
                    onChange={(event) => {
                      setReason(event.target.value)
                    }}
                  />
                  <div className="member-actions">
                    <button type="submit" className="danger" disabled={busy}>
                      {VERBS[confirming.action].label} {member.name}
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => {
                        setPending(undefined)
                      }}
                    >
                      Cancel
                    </button>
                  </div>
                </form>
              )}
            </li>
          )
        })}
      </ul>
    </aside>
  )
}
