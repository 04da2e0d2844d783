/// The templates Concord ships, by topic and language: a subject, a text and an HTML body each. A file in the
/// templates directory named `<topic>.<language>.<part>.mustache` replaces one part (`default` stands for any
/// topic without templates of its own; `digest` for digests).
///
/// What a template sees: `topic`, `seq`, `time` (UTC), `local_time` (the recipient's), `source`,
/// `recipient.name`, `recipient.language`, `recipient.time_zone`, `unsubscribe`, and `event`, the event's payload
/// as its contract (and `system.catalog`) gives it. A digest sees `recipient`, `count`, `local_time`,
/// `unsubscribe` and `entries`, each with `topic`, `seq`, `time`, `local_time`, `subject` and `text`.
enum ShippedTemplates {
    struct Parts {
        var subject: String
        var text: String
        var html: String
    }

    static let footerText =
        "\n\n--\nConcord, for your network's secretariat.{{#unsubscribe}} Unsubscribe: {{unsubscribe}}{{/unsubscribe}}\n"
    static let footerHTML =
        "<hr><p style=\"color:#666;font-size:12px\">Concord, for your network's secretariat.{{#unsubscribe}} <a href=\"{{unsubscribe}}\">Unsubscribe</a>{{/unsubscribe}}</p>"

    static func html(_ body: String) -> String {
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">" + body + footerHTML + "</body></html>\n"
    }

    static let all: [String: [String: Parts]] = [
        "default": [
            "en": Parts(
                subject: "{{topic}}",
                text: "Dear {{recipient.name}},\n\n{{topic}} happened at {{local_time}} (event {{seq}})." + footerText,
                html: html(
                    "<p>Dear {{recipient.name}},</p><p><code>{{topic}}</code> happened at {{local_time}} (event {{seq}}).</p>"
                ))
        ],
        "digest": [
            "en": Parts(
                subject: "{{count}} updates from Concord",
                text:
                    "Dear {{recipient.name}},\n\n{{count}} updates up to {{local_time}}:\n{{#entries}}- {{local_time}}: {{subject}}\n{{/entries}}"
                    + footerText,
                html: html(
                    "<p>Dear {{recipient.name}},</p><p>{{count}} updates up to {{local_time}}:</p><ul>{{#entries}}<li>{{local_time}}: {{subject}}</li>{{/entries}}</ul>"
                )),
            "vi": Parts(
                subject: "{{count}} cập nhật từ Concord",
                text:
                    "Kính gửi {{recipient.name}},\n\n{{count}} cập nhật đến {{local_time}}:\n{{#entries}}- {{local_time}}: {{subject}}\n{{/entries}}"
                    + footerText,
                html: html(
                    "<p>Kính gửi {{recipient.name}},</p><p>{{count}} cập nhật đến {{local_time}}:</p><ul>{{#entries}}<li>{{local_time}}: {{subject}}</li>{{/entries}}</ul>"
                )),
        ],
        "scheduling.meeting.reminder_due": [
            "en": Parts(
                subject: "Reminder: {{event.title}} starts {{event.start}}",
                text:
                    "Dear {{recipient.name}},\n\n{{event.title}} starts {{event.start}} ({{event.time_zone}}), {{event.start_utc}} UTC."
                    + footerText,
                html: html(
                    "<p>Dear {{recipient.name}},</p><p><strong>{{event.title}}</strong> starts {{event.start}} ({{event.time_zone}}), {{event.start_utc}} UTC.</p>"
                )),
            "vi": Parts(
                subject: "Nhắc lịch: {{event.title}} bắt đầu {{event.start}}",
                text:
                    "Kính gửi {{recipient.name}},\n\n{{event.title}} bắt đầu lúc {{event.start}} ({{event.time_zone}})."
                    + footerText,
                html: html(
                    "<p>Kính gửi {{recipient.name}},</p><p><strong>{{event.title}}</strong> bắt đầu lúc {{event.start}} ({{event.time_zone}}).</p>"
                )),
            "ru": Parts(
                subject: "Напоминание: {{event.title}} начинается {{event.start}}",
                text:
                    "Уважаемый(ая) {{recipient.name}},\n\n{{event.title}} начинается {{event.start}} ({{event.time_zone}})."
                    + footerText,
                html: html(
                    "<p>Уважаемый(ая) {{recipient.name}},</p><p><strong>{{event.title}}</strong> начинается {{event.start}} ({{event.time_zone}}).</p>"
                )),
        ],
        "scheduling.meeting.scheduled": [
            "en": Parts(
                subject: "Scheduled: {{event.meeting.fields.title}}",
                text:
                    "Dear {{recipient.name}},\n\n{{event.meeting.fields.title}} is scheduled from {{event.meeting.fields.start}} to {{event.meeting.fields.end}}{{#event.meeting.fields.time_zone}} ({{event.meeting.fields.time_zone}}){{/event.meeting.fields.time_zone}}."
                    + footerText,
                html: html(
                    "<p>Dear {{recipient.name}},</p><p><strong>{{event.meeting.fields.title}}</strong> is scheduled from {{event.meeting.fields.start}} to {{event.meeting.fields.end}}.</p>"
                ))
        ],
        "scheduling.meeting.updated": [
            "en": Parts(
                subject: "Changed: {{event.meeting.fields.title}}",
                text:
                    "Dear {{recipient.name}},\n\n{{event.meeting.fields.title}} changed{{#event.reason}}: {{event.reason}}{{/event.reason}}. It now runs from {{event.meeting.fields.start}} to {{event.meeting.fields.end}}."
                    + footerText,
                html: html(
                    "<p>Dear {{recipient.name}},</p><p><strong>{{event.meeting.fields.title}}</strong> changed{{#event.reason}}: {{event.reason}}{{/event.reason}}. It now runs from {{event.meeting.fields.start}} to {{event.meeting.fields.end}}.</p>"
                ))
        ],
        "registry.accession.applied": [
            "en": Parts(
                subject: "Accession to decide: {{event.application.actor}}",
                text:
                    "Dear {{recipient.name}},\n\n{{event.application.actor}} applied on {{event.application.applied_on}} to accede to {{event.application.declaration}}.{{#event.application.note}}\n\n{{event.application.note}}{{/event.application.note}}"
                    + footerText,
                html: html(
                    "<p>Dear {{recipient.name}},</p><p>{{event.application.actor}} applied on {{event.application.applied_on}} to accede to {{event.application.declaration}}.</p>{{#event.application.note}}<blockquote>{{event.application.note}}</blockquote>{{/event.application.note}}"
                )),
            "ru": Parts(
                subject: "Заявка на присоединение: {{event.application.actor}}",
                text:
                    "Уважаемый(ая) {{recipient.name}},\n\n{{event.application.actor}} подал(а) заявку {{event.application.applied_on}} на присоединение к {{event.application.declaration}}."
                    + footerText,
                html: html(
                    "<p>Уважаемый(ая) {{recipient.name}},</p><p>{{event.application.actor}} подал(а) заявку {{event.application.applied_on}} на присоединение к {{event.application.declaration}}.</p>"
                )),
        ],
        "registry.accession.accepted": [
            "en": Parts(
                subject: "Accession accepted: {{event.application.actor}}",
                text:
                    "Dear {{recipient.name}},\n\n{{event.application.actor}} has acceded to {{event.application.declaration}}{{#event.application.decided_on}} as of {{event.application.decided_on}}{{/event.application.decided_on}}."
                    + footerText,
                html: html(
                    "<p>Dear {{recipient.name}},</p><p>{{event.application.actor}} has acceded to {{event.application.declaration}}.</p>"
                ))
        ],
        "matching.shortlist.changed": [
            "en": Parts(
                subject:
                    "New matches for {{#event.need}}need {{event.need}}{{/event.need}}{{#event.offer}}offer {{event.offer}}{{/event.offer}}",
                text:
                    "Dear {{recipient.name}},\n\nThe shortlist changed:\n{{#event.entries}}- {{id}} ({{score}} points)\n{{/event.entries}}"
                    + footerText,
                html: html(
                    "<p>Dear {{recipient.name}},</p><p>The shortlist changed:</p><ol>{{#event.entries}}<li>{{id}} ({{score}} points)</li>{{/event.entries}}</ol>"
                ))
        ],
        "matching.match.decided": [
            "en": Parts(
                subject: "Match {{event.match.state}}: {{event.match.need}} and {{event.match.offer}}",
                text:
                    "Dear {{recipient.name}},\n\nThe match of {{event.match.need}} with {{event.match.offer}} is {{event.match.state}}{{#event.match.reason}} ({{event.match.reason}}){{/event.match.reason}}."
                    + footerText,
                html: html(
                    "<p>Dear {{recipient.name}},</p><p>The match of {{event.match.need}} with {{event.match.offer}} is {{event.match.state}}{{#event.match.reason}} ({{event.match.reason}}){{/event.match.reason}}.</p>"
                ))
        ],
    ]
}
