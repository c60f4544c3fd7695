<?php
/**
 * Builds and signs Stockbridge notification bodies.
 *
 * Plain PHP with no Magento dependency, so bin/sign.php (and tests) can load it with
 * require_once alone.
 */

declare(strict_types=1);

namespace Stockbridge\Notifications\Model;

class Signer
{
    /** The signature scheme named in the X-Signature header. */
    public const VERSION = 'v1';

    /** The body's keys, in the order they are written; integer fields are marked true. */
    public const FIELDS = [
        'event_id' => false,
        'event' => false,
        'entity_type' => false,
        'entity_id' => true,
        'increment_id' => false,
        'store_id' => true,
        'updated_at' => false,
    ];

    /**
     * The X-Signature header value: v1=<base64(HMAC-SHA256(secret, "<timestamp>.<body>"))>.
     */
    public function sign(string $secret, int $timestamp, string $body): string
    {
        $mac = hash_hmac('sha256', $timestamp . '.' . $body, $secret, true);

        return self::VERSION . '=' . base64_encode($mac);
    }

    /**
     * The JSON body: exactly the keys of FIELDS, entity_id and store_id as integers.
     *
     * @param array<string, mixed> $fields
     * @throws \InvalidArgumentException when a field is missing, unknown or not scalar
     * @throws \JsonException
     */
    public function body(array $fields): string
    {
        $unknown = array_diff(array_keys($fields), array_keys(self::FIELDS));
        if ($unknown !== []) {
            throw new \InvalidArgumentException(
                'Unknown notification field(s): ' . implode(', ', $unknown)
            );
        }

        $payload = [];
        foreach (self::FIELDS as $name => $isInt) {
            if (!array_key_exists($name, $fields) || $fields[$name] === null) {
                throw new \InvalidArgumentException("Missing notification field: $name");
            }
            $value = $fields[$name];
            if (!is_scalar($value)) {
                throw new \InvalidArgumentException("Notification field $name is not scalar");
            }
            if ($isInt) {
                if (filter_var($value, FILTER_VALIDATE_INT) === false) {
                    throw new \InvalidArgumentException("Notification field $name is not an integer");
                }
                $payload[$name] = (int) $value;
            } else {
                $payload[$name] = (string) $value;
            }
        }

        return json_encode($payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    }
}
