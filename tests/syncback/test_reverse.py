from quickscale.syncback.reverse import render, template_for

CONTEXT = {
    "project_name": "acme_cloud",
    "project_title": "Acme Cloud",
    "camel_case_project_name": "AcmeCloud",
}


def reverse(template, project):
    return template_for(
        template=template, generated=render(template, CONTEXT), project=project, context=CONTEXT
    )


def test_the_project_name_goes_back_into_changed_lines():
    template = 'ROOT_URLCONF = "{{ project_name }}.urls"\nX = 1\n'
    result = reverse(
        template, 'ROOT_URLCONF = "acme_cloud.urls"\nX = 2  # acme_cloud, not acme_cloudy\n'
    )
    assert result.text.splitlines() == [
        'ROOT_URLCONF = "{{ project_name }}.urls"',
        "X = 2  # {{ project_name }}, not acme_cloudy",
    ]


def test_a_changed_line_keeps_the_expression_the_template_used():
    template = '"""Settings of {{ project_title|default:project_name }}."""\n'
    result = reverse(template, '"""All settings of Acme Cloud."""\n')
    assert result.text == '"""All settings of {{ project_title|default:project_name }}."""\n'


def test_unchanged_lines_keep_their_template_text_untouched():
    template = "A = '{{ project_name }}'\nB = 1\n"
    result = reverse(template, "A = 'acme_cloud'\nB = 1\nC = 3\n")
    assert result.text == "A = '{{ project_name }}'\nB = 1\nC = 3\n"


def test_a_template_with_logic_is_left_to_a_person():
    template = "{% if project_name %}A = 1{% endif %}\n"
    result = reverse(template, "A = 2\n")
    assert result.text is None and "template logic" in result.reason


def test_template_syntax_typed_into_the_project_is_left_to_a_person():
    result = reverse("A = 1\n", "A = '{{ not a variable }}'\n")
    assert result.text is None and "template syntax" in result.reason
