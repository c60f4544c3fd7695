<?php

declare(strict_types=1);

namespace Stockbridge\Notifications\Model;

/**
 * POSTs one signed notification to Stockbridge with ext-curl.
 */
class Sender
{
    public const TIMEOUT_SECONDS = 10;

    /** How much of an error answer's body is kept for last_error. */
    private const MAX_ANSWER_LENGTH = 500;

    public function __construct(
        private Signer $signer
    ) {
    }

    /**
     * Sends $body signed at $timestamp. Never throws for network trouble: the result's
     * status is the HTTP status, or 0 when no answer came (the error says why).
     *
     * @return array{status: int, error: ?string}
     */
    public function send(string $url, string $secret, string $eventId, string $body, int $timestamp): array
    {
        if (!function_exists('curl_init')) {
            return ['status' => 0, 'error' => 'PHP extension curl is not loaded'];
        }

        $headers = [
            'Content-Type: application/json',
            'X-Timestamp: ' . $timestamp,
            'X-Event-Id: ' . $eventId,
            'X-Signature: ' . $this->signer->sign($secret, $timestamp, $body),
            // No "Expect: 100-continue" round trip.
            'Expect:',
        ];

        $handle = curl_init();
        if ($handle === false) {
            return ['status' => 0, 'error' => 'curl_init failed'];
        }
        try {
            curl_setopt_array($handle, [
                CURLOPT_URL => $url,
                CURLOPT_POST => true,
                CURLOPT_POSTFIELDS => $body,
                CURLOPT_HTTPHEADER => $headers,
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_FOLLOWLOCATION => false,
                CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
                CURLOPT_CONNECTTIMEOUT => self::TIMEOUT_SECONDS,
                CURLOPT_TIMEOUT => self::TIMEOUT_SECONDS,
                CURLOPT_NOSIGNAL => true,
                CURLOPT_USERAGENT => 'Stockbridge-Magento-Notifications/1',
            ]);

            $answer = curl_exec($handle);
            if ($answer === false) {
                return [
                    'status' => 0,
                    'error' => sprintf('curl error %d: %s', curl_errno($handle), curl_error($handle)),
                ];
            }

            $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
            if ($status >= 200 && $status < 300) {
                return ['status' => $status, 'error' => null];
            }

            $excerpt = trim(substr((string) $answer, 0, self::MAX_ANSWER_LENGTH));

            return [
                'status' => $status,
                'error' => sprintf('HTTP %d%s', $status, $excerpt === '' ? '' : ': ' . $excerpt),
            ];
        } finally {
            curl_close($handle);
        }
    }
}
