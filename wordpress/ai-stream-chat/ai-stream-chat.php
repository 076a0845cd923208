<?php
/**
 * Plugin Name: AI Stream Chat
 * Description: The <ai-stream-chat> widget: a [ai_stream_chat] shortcode and an "AI Stream Chat" block, with the same attributes, and a settings page for the chat server's URL.
 * Version: 0.1.0
 * Requires at least: 6.1
 * Requires PHP: 7.4
 * License: MIT
 *
 * The widget's classic script comes from the chat server (ai-stream-chat-server serves it at
 * /dist/ai-stream-chat.iife.js) unless the settings name another URL, and is loaded only on
 * pages that show a chat. It is pure ASCII, so the site's charset does not matter.
 */

if (!defined('ABSPATH')) {
	exit;
}

const AI_STREAM_CHAT_OPTION = 'ai_stream_chat_settings';

/**
 * The attributes the shortcode and the block both take, with their defaults, mapped to the
 * element's HTML attributes. An empty value leaves the element's attribute out (its default).
 */
function ai_stream_chat_attributes() {
	return array(
		'heading'         => 'heading',
		'placeholder'     => 'placeholder',
		'welcome_message' => 'welcome-message',
		'theme'           => 'theme',
		'mode'            => 'mode',
		'lang'            => 'lang',
		'persist'         => 'persist',
		'params'          => 'params',
	);
}

/** Saved settings over the defaults: server_url (http(s) base of the chat server), script_url, session. */
function ai_stream_chat_settings() {
	$saved = get_option(AI_STREAM_CHAT_OPTION, array());
	return array_merge(
		array('server_url' => '', 'script_url' => '', 'session' => false),
		is_array($saved) ? $saved : array()
	);
}

/** ws(s)://host/ws for an http(s)://host server URL. */
function ai_stream_chat_socket_url($server_url) {
	return preg_replace('#^http#i', 'ws', $server_url) . '/ws';
}

function ai_stream_chat_script_url() {
	$settings = ai_stream_chat_settings();
	if ($settings['script_url'] !== '') {
		return $settings['script_url'];
	}
	return $settings['server_url'] === '' ? '' : $settings['server_url'] . '/dist/ai-stream-chat.iife.js';
}

add_action('init', 'ai_stream_chat_register');
function ai_stream_chat_register() {
	$script = ai_stream_chat_script_url();
	if ($script !== '') {
		// No version query: the server decides caching. In the footer: the element upgrades when defined.
		wp_register_script('ai-stream-chat', $script, array(), null, true);
	}
	add_shortcode('ai_stream_chat', 'ai_stream_chat_shortcode');

	wp_register_script(
		'ai-stream-chat-block-editor',
		plugins_url('block.js', __FILE__),
		array('wp-blocks', 'wp-element', 'wp-block-editor', 'wp-components', 'wp-i18n'),
		'0.1.0',
		true
	);
	$attributes = array();
	foreach (array_keys(ai_stream_chat_attributes()) as $name) {
		$attributes[$name] = array('type' => 'string', 'default' => '');
	}
	register_block_type(
		'ai-stream-chat/chat',
		array(
			'api_version'     => 2,
			'title'           => 'AI Stream Chat',
			'category'        => 'widgets',
			'icon'            => 'format-chat',
			'attributes'      => $attributes,
			'editor_script'   => 'ai-stream-chat-block-editor',
			'render_callback' => 'ai_stream_chat_render',
		)
	);
}

/** [ai_stream_chat heading="Ask us" theme="dark" mode="floating" ...] */
function ai_stream_chat_shortcode($atts) {
	$defaults = array_fill_keys(array_keys(ai_stream_chat_attributes()), '');
	return ai_stream_chat_render(shortcode_atts($defaults, $atts, 'ai_stream_chat'));
}

/** The element, for the shortcode and the block alike. */
function ai_stream_chat_render($attributes) {
	$settings = ai_stream_chat_settings();
	if ($settings['server_url'] === '') {
		return current_user_can('manage_options')
			? '<p>' . esc_html__('AI Stream Chat: set the chat server URL under Settings, AI Stream Chat.', 'ai-stream-chat') . '</p>'
			: '';
	}
	wp_enqueue_script('ai-stream-chat');
	$html = '<ai-stream-chat url="' . esc_attr(ai_stream_chat_socket_url($settings['server_url'])) . '"';
	if ($settings['session']) {
		$html .= ' session-url="' . esc_attr($settings['server_url'] . '/session') . '"';
	}
	foreach (ai_stream_chat_attributes() as $name => $attribute) {
		$value = isset($attributes[$name]) ? (string) $attributes[$name] : '';
		if ($value !== '') {
			$html .= ' ' . $attribute . '="' . esc_attr($value) . '"';
		}
	}
	return $html . '></ai-stream-chat>';
}

add_action('admin_menu', 'ai_stream_chat_menu');
function ai_stream_chat_menu() {
	add_options_page('AI Stream Chat', 'AI Stream Chat', 'manage_options', 'ai-stream-chat', 'ai_stream_chat_settings_page');
}

add_action('admin_init', 'ai_stream_chat_settings_init');
function ai_stream_chat_settings_init() {
	register_setting('ai_stream_chat', AI_STREAM_CHAT_OPTION, array('sanitize_callback' => 'ai_stream_chat_sanitize'));
	add_settings_section('ai_stream_chat_server', '', '__return_false', 'ai-stream-chat');
	add_settings_field('server_url', 'Chat server URL', 'ai_stream_chat_field_server_url', 'ai-stream-chat', 'ai_stream_chat_server');
	add_settings_field('script_url', 'Widget script URL', 'ai_stream_chat_field_script_url', 'ai-stream-chat', 'ai_stream_chat_server');
	add_settings_field('session', 'Sessions', 'ai_stream_chat_field_session', 'ai-stream-chat', 'ai_stream_chat_server');
}

/** Keeps http(s) URLs without a trailing slash; anything else becomes empty. */
function ai_stream_chat_sanitize($input) {
	$clean = array('server_url' => '', 'script_url' => '', 'session' => !empty($input['session']));
	foreach (array('server_url', 'script_url') as $key) {
		$url = isset($input[$key]) ? esc_url_raw(trim((string) $input[$key]), array('http', 'https')) : '';
		$clean[$key] = rtrim($url, '/');
	}
	return $clean;
}

function ai_stream_chat_field_server_url() {
	$settings = ai_stream_chat_settings();
	printf(
		'<input type="url" class="regular-text" name="%s[server_url]" value="%s" placeholder="https://chat.example.com"><p class="description">%s</p>',
		esc_attr(AI_STREAM_CHAT_OPTION),
		esc_attr($settings['server_url']),
		esc_html__('Where ai-stream-chat-server runs. The widget connects to its /ws.', 'ai-stream-chat')
	);
}

function ai_stream_chat_field_script_url() {
	$settings = ai_stream_chat_settings();
	printf(
		'<input type="url" class="regular-text" name="%s[script_url]" value="%s"><p class="description">%s</p>',
		esc_attr(AI_STREAM_CHAT_OPTION),
		esc_attr($settings['script_url']),
		esc_html__('Optional: where to load ai-stream-chat.iife.js from (a CDN). Default: the chat server\'s /dist/ai-stream-chat.iife.js.', 'ai-stream-chat')
	);
}

function ai_stream_chat_field_session() {
	$settings = ai_stream_chat_settings();
	printf(
		'<label><input type="checkbox" name="%s[session]" value="1"%s> %s</label>',
		esc_attr(AI_STREAM_CHAT_OPTION),
		checked($settings['session'], true, false),
		esc_html__('The server runs with --require-session: fetch a session from its /session first.', 'ai-stream-chat')
	);
}

function ai_stream_chat_settings_page() {
	if (!current_user_can('manage_options')) {
		return;
	}
	echo '<div class="wrap"><h1>AI Stream Chat</h1><form method="post" action="options.php">';
	settings_fields('ai_stream_chat');
	do_settings_sections('ai-stream-chat');
	submit_button();
	echo '</form></div>';
}
