<?php

declare(strict_types=1);

namespace Stockbridge\Notifications\Model;

use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\Encryption\EncryptorInterface;
use Magento\Store\Model\ScopeInterface;

/**
 * The module's settings (Stores > Configuration > Services > Stockbridge), read at the
 * scope of the store an order or credit memo belongs to.
 */
class Config
{
    public const XML_PATH_ENABLED = 'stockbridge/general/enabled';
    public const XML_PATH_URL = 'stockbridge/general/url';
    public const XML_PATH_SECRET = 'stockbridge/general/secret';
    public const XML_PATH_MAX_ATTEMPTS = 'stockbridge/general/max_attempts';

    public const DEFAULT_MAX_ATTEMPTS = 10;

    public function __construct(
        private ScopeConfigInterface $scopeConfig,
        private EncryptorInterface $encryptor
    ) {
    }

    public function isEnabled(int $storeId): bool
    {
        return $this->scopeConfig->isSetFlag(self::XML_PATH_ENABLED, ScopeInterface::SCOPE_STORE, $storeId);
    }

    public function getUrl(int $storeId): string
    {
        return trim((string) $this->scopeConfig->getValue(self::XML_PATH_URL, ScopeInterface::SCOPE_STORE, $storeId));
    }

    /** The signing secret, decrypted. */
    public function getSecret(int $storeId): string
    {
        $stored = (string) $this->scopeConfig->getValue(self::XML_PATH_SECRET, ScopeInterface::SCOPE_STORE, $storeId);
        if ($stored === '') {
            return '';
        }

        return trim((string) $this->encryptor->decrypt($stored));
    }

    public function getMaxAttempts(int $storeId): int
    {
        $value = (int) $this->scopeConfig->getValue(
            self::XML_PATH_MAX_ATTEMPTS,
            ScopeInterface::SCOPE_STORE,
            $storeId
        );

        return $value > 0 ? $value : self::DEFAULT_MAX_ATTEMPTS;
    }

    /** Whether notifications for this store are to be queued at all. */
    public function isActive(int $storeId): bool
    {
        return $this->isEnabled($storeId) && $this->getUrl($storeId) !== '';
    }
}
